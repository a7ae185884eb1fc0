import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { startIngest } from '../../services/ingest/src/ingest-service.ts';
import { type RunningWorker, startWorker } from '../../services/node-worker/src/worker-service.ts';
import type { PublishOptions } from '../../shared/src/broker/broker.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { replicationTopology } from '../../shared/src/broker/topology.ts';
import { parseConfig } from '../../shared/src/config.ts';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { createLogger, type Logger } from '../../shared/src/logger.ts';
import { uploadPut } from '../support/http.ts';

/** The embedded broker, each publish confirmed only after `delayMs`: work stays in flight. */
class SlowBroker extends MemoryBroker {
  published = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  override async publish(
    exchange: string,
    key: string,
    body: Buffer,
    options?: PublishOptions,
  ): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    await super.publish(exchange, key, body, options);
    this.published += 1;
  }
}

/** A logger whose lines are kept, to assert that stopping logged no warning or error. */
function capturingLogger(): { logger: Logger; errors: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return {
    logger: createLogger({ service: 'test' }, 'info', sink),
    errors: () => lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 40),
  };
}

describe('stopping with background work in flight', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-shutdown-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (extra: Record<string, string> = {}) =>
    ingestConfig(
      parseConfig(IngestEnv, {
        DFR_PORT: '0',
        DFR_HOST: '127.0.0.1',
        DFR_DATA_DIR: join(dir, 'data'),
        ...extra,
      }),
    );

  it('ingest waits for the commands of a 201 to be published before closing the database', async () => {
    const broker = new SlowBroker(300);
    const { logger, errors } = capturingLogger();
    const ingest = await startIngest(config(), broker, logger);
    const { response } = await uploadPut(ingest.url, 'a.txt', Buffer.from('hello'));
    expect(response.status).toBe(201);
    await ingest.stop();
    // One ReplicateFiles per node, each confirmed and recorded after the database would have closed.
    expect(broker.published).toBe(3);
    expect(errors()).toEqual([]);
    await broker.close();
  });

  it('ingest waits for the first reconciler pass it started', async () => {
    const first = new SlowBroker(0);
    await first.close();
    const quiet = capturingLogger();
    // A broker that refuses everything leaves the commands of these uploads due in the outbox.
    const down = await startIngest(config(), first, quiet.logger);
    for (let i = 0; i < 5; i++) await uploadPut(down.url, `f${i}`, Buffer.from(`file ${i}`));
    await down.stop();

    const broker = new SlowBroker(300);
    const { logger, errors } = capturingLogger();
    const ingest = await startIngest(config(), broker, logger);
    await ingest.stop();
    expect(broker.published).toBeGreaterThan(0);
    expect(errors()).toEqual([]);
    await broker.close();
  });

  it('a worker stops a scrub pass under way and waits for it', async () => {
    const broker = new MemoryBroker();
    // Ingest's queue for events, so the worker's reports have somewhere to go.
    await broker.assertTopology(
      replicationTopology({ prefix: 'dfr', nodes: ['node1'], ingestEvents: true, deliveryLimit: 3 }),
    );
    const { logger, errors } = capturingLogger();
    let worker: RunningWorker | undefined;
    try {
      worker = await startWorker(
        {
          nodeId: 'node1',
          dir: join(dir, 'node1'),
          host: '127.0.0.1',
          port: 0,
          publicUrl: undefined,
          clusterToken: undefined,
          amqpPrefix: 'dfr',
          prefetch: 1,
          deliveryLimit: 3,
          heartbeatIntervalMs: 60_000,
          scrubIntervalMs: 0,
          idleTimeoutMs: 10_000,
        },
        broker,
        logger,
        { consumerVisibleAfterMs: 0 },
      );
      const blobs = new TieredBlobStore(join(dir, 'node1'));
      await blobs.open();
      const big = Buffer.alloc(8 * 1024 * 1024, 7);
      for (let i = 0; i < 8; i++) await blobs.putMany([{ id: randomUUID(), bytes: big }]);
      await blobs.close();
      const scrub = fetch(`${worker.url}/admin/scrub`, { method: 'POST' }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const started = Date.now();
      await worker.stop();
      worker = undefined;
      expect(Date.now() - started).toBeLessThan(10_000);
      await scrub;
      expect(errors()).toEqual([]);
    } finally {
      await worker?.stop();
      await broker.close();
    }
  });
});
