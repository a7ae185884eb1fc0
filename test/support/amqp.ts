import { randomBytes } from 'node:crypto';
import { RabbitMQContainer } from '@testcontainers/rabbitmq';
import amqp, { type ChannelModel } from 'amqplib';
import { getContainerRuntimeClient } from 'testcontainers';
import { describe, inject } from 'vitest';
import { replicationTopology, type Topology } from '../../shared/src/broker/topology.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the RabbitMQ container the global setup started; null when it started none. */
    rabbitContainerUrl: string | null;
  }
}

/** Same broker line as the machine's RabbitMQ 3.10, whose quorum-queue semantics the contract pins. */
const RABBIT_IMAGE = process.env.RABBITMQ_IMAGE ?? 'rabbitmq:3.10-alpine';

/** Every name a test declares starts with this, so cleanup can never touch anything else. */
const TEST_PREFIX = 't-';

export interface StartedRabbit {
  url: string;
  stop(): Promise<void>;
}

/** Starts a RabbitMQ container, or returns undefined when no Docker engine answers. */
export async function startRabbitContainer(): Promise<StartedRabbit | undefined> {
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  // The module's 30 s startup budget is tight for a 2-core CI runner.
  const container = await new RabbitMQContainer(RABBIT_IMAGE).withStartupTimeout(120_000).start();
  return {
    url: container.getAmqpUrl(),
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * The RabbitMQ this run tests against: `AMQP_URL`, else the container the global setup started.
 * Without either it warns loudly and returns undefined, so the RabbitMQ suites are skipped; on CI
 * (`CI=true`) it throws instead, because a skipped contract there would pass for a tested one.
 */
export function resolveAmqpUrl(): string | undefined {
  const url = process.env.AMQP_URL || inject('rabbitContainerUrl');
  if (url) return url;
  const reason = 'AMQP_URL is not set and no Docker engine answered to start a RabbitMQ container';
  if (process.env.CI === 'true') throw new Error(`RabbitMQ is required on CI: ${reason}`);
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! RABBITMQ TESTS SKIPPED: ${reason}.\n!! Set AMQP_URL=amqp://guest:guest@127.0.0.1:5672 to run them.\n${line}\n`,
  );
  return undefined;
}

/**
 * A suite that needs RabbitMQ: skipped (and reported as skipped) when `url` is undefined. The
 * placeholder URL handed to a skipped suite is never dialled, since none of its tests run.
 */
export function describeWithRabbit(name: string, url: string | undefined, fn: (url: string) => void): void {
  describe.skipIf(url === undefined)(name, () => fn(url ?? 'amqp://rabbitmq-unavailable.invalid'));
}

/** A fresh name prefix (`t-<12 hex>`) so each test declares its own exchanges and queues. */
export function uniquePrefix(): string {
  return `${TEST_PREFIX}${randomBytes(6).toString('hex')}`;
}

/** Deletes the queues and exchanges `replicationTopology` declares for this prefix and these nodes. */
export async function deleteTopology(url: string, prefix: string, nodes: readonly string[]): Promise<void> {
  if (!prefix.startsWith(TEST_PREFIX)) throw new Error(`refusing to delete ${prefix}.*: not a test prefix`);
  await deleteDeclared(
    url,
    replicationTopology({ prefix, nodes: [...nodes], ingestEvents: true, deliveryLimit: 1 }),
  );
}

/** Deletes every queue and exchange of a topology; names that do not exist are fine. */
export async function deleteDeclared(url: string, topology: Topology): Promise<void> {
  const names = [...topology.queues, ...topology.exchanges].map((x) => x.name);
  const foreign = names.filter((name) => !name.startsWith(TEST_PREFIX));
  if (foreign.length > 0)
    throw new Error(`refusing to delete names without the test prefix: ${foreign.join(', ')}`);
  const connection = await amqp.connect(url, { timeout: 5000 });
  connection.on('error', () => undefined);
  try {
    for (const queue of topology.queues) {
      await onOwnChannel(connection, async (channel) => {
        await channel.deleteQueue(queue.name);
      });
    }
    for (const exchange of topology.exchanges) {
      await onOwnChannel(connection, async (channel) => {
        await channel.deleteExchange(exchange.name);
      });
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A failed operation closes its channel, so each gets its own. */
async function onOwnChannel(
  connection: ChannelModel,
  work: (channel: amqp.Channel) => Promise<void>,
): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}
