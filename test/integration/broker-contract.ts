import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Broker,
  BrokerError,
  type BrokerErrorCode,
  type Consumer,
  type Delivery,
  type DeliveryHandler,
  type Disposition,
} from '../../shared/src/broker/broker.ts';
import { replicationTopology, type TopologyNames, topologyNames } from '../../shared/src/broker/topology.ts';
import { uniquePrefix } from '../support/amqp.ts';
import { sleep, waitFor } from '../support/wait-for.ts';

/** A broker ready for one test, and how to dispose of it and of everything it declared. */
export interface BrokerFixture {
  broker: Broker;
  cleanup(): Promise<void>;
}

/** What a test declares: `replicationTopology` for this prefix and these nodes. */
export interface ContractScope {
  prefix: string;
  nodes: readonly string[];
}

export type BrokerFactory = (scope: ContractScope) => Promise<BrokerFixture>;

const NODES = ['node1', 'node2'] as const;
const DELIVERY_LIMIT = 3;
const WAIT_MS = 10_000;
/** How long a test watches for a delivery that must not happen. */
const QUIET_MS = 300;

/**
 * The behaviour every Broker adapter must show; RabbitMQ (quorum queues) is the reference, and
 * each case was checked against it. Each test gets a fresh broker and its own name prefix.
 */
export function brokerContract(name: string, makeBroker: BrokerFactory): void {
  describe(`Broker contract: ${name}`, () => {
    let fixture: BrokerFixture | undefined;
    let prefix: string;
    let broker: Broker;
    let names: TopologyNames;
    let consumers: Consumer[] = [];

    beforeEach(async () => {
      prefix = uniquePrefix();
      fixture = await makeBroker({ prefix, nodes: NODES });
      broker = fixture.broker;
      names = topologyNames(prefix);
      await broker.assertTopology(
        replicationTopology({ prefix, nodes: [...NODES], ingestEvents: true, deliveryLimit: DELIVERY_LIMIT }),
      );
    });

    afterEach(async () => {
      const open = consumers;
      consumers = [];
      for (const consumer of open) await consumer.close();
      await fixture?.cleanup();
      fixture = undefined;
    });

    async function consume(queue: string, handler: DeliveryHandler, prefetch = 10): Promise<Consumer> {
      const consumer = await broker.consume(queue, handler, { prefetch });
      consumers.push(consumer);
      return consumer;
    }

    /** Consumes a queue, settling each delivery with `decide` (ack by default); returns what arrived. */
    async function record(
      queue: string,
      decide: (delivery: Delivery) => Disposition | Promise<Disposition> = () => 'ack',
    ): Promise<Delivery[]> {
      const deliveries: Delivery[] = [];
      await consume(queue, async (delivery) => {
        deliveries.push(delivery);
        return decide(delivery);
      });
      return deliveries;
    }

    function publish(
      routingKey: string,
      messageId: string,
      exchange = names.replicateExchange,
    ): Promise<void> {
      return broker.publish(exchange, routingKey, Buffer.from(JSON.stringify({ messageId })), { messageId });
    }

    function idsOf(deliveries: Delivery[]): (string | undefined)[] {
      return deliveries.map((d) => d.messageId);
    }

    it('publish resolves on confirm and delivers body, messageId, routing key and headers intact', async () => {
      const body = Buffer.from('{"type":"ReplicateFile","bytes":"\u00e9\u0000"}');
      await broker.publish(names.replicateExchange, 'node1', body, {
        messageId: 'm-1',
        headers: { 'x-test': 'yes' },
      });
      await broker.publish(names.replicateExchange, 'node2', Buffer.from('other'));
      const node1 = await record(names.nodeQueue('node1'));
      const node2 = await record(names.nodeQueue('node2'));
      await waitFor(() => node1.length === 1 && node2.length === 1, WAIT_MS, 'one delivery per node queue');

      const [delivery] = node1;
      expect(delivery?.body.equals(body)).toBe(true);
      expect(delivery).toMatchObject({
        messageId: 'm-1',
        routingKey: 'node1',
        redelivered: false,
        deliveryCount: 0,
      });
      expect(delivery?.headers['x-test']).toBe('yes');
      expect(node2[0]?.routingKey).toBe('node2');
      expect(node2[0]?.body.toString()).toBe('other');
      expect(node2[0]?.messageId).toEqual(expect.any(String));
    });

    it('inspectQueue counts the messages waiting and the consumers, and knows no unknown queue', async () => {
      const queue = names.nodeQueue('node1');
      expect(await broker.inspectQueue(queue)).toEqual({ messages: 0, consumers: 0 });
      for (let i = 0; i < 3; i++)
        await broker.publish(names.replicateExchange, 'node1', Buffer.from(`m${i}`));
      // RabbitMQ counts a quorum queue's messages a moment after the confirms.
      await waitFor(
        async () => (await broker.inspectQueue(queue))?.messages === 3,
        WAIT_MS,
        'three messages counted',
      );
      await record(queue);
      await waitFor(
        async () => {
          const stats = await broker.inspectQueue(queue);
          return stats?.messages === 0 && stats.consumers === 1;
        },
        WAIT_MS,
        'the queue drained by one consumer',
      );
      expect(await broker.inspectQueue(`${prefix}.no-such-queue`)).toBeUndefined();
      // The broker still works after asking about a queue that is not there.
      await broker.publish(names.replicateExchange, 'node2', Buffer.from('still'));
    });

    it('publish to a routing key with no bound queue rejects with UNROUTABLE', async () => {
      await expectBrokerError(publish('node9', 'lost'), 'UNROUTABLE');
      await publish('node1', 'kept');
      const node1 = await record(names.nodeQueue('node1'));
      await waitFor(() => node1.length === 1, WAIT_MS, 'the routable message');
      expect(idsOf(node1)).toEqual(['kept']);
    });

    it('publish to an exchange never declared rejects, and later publishes still work', async () => {
      await expectBrokerError(publish('node1', 'nowhere', `${names.replicateExchange}-missing`), 'NACKED');
      await waitFor(() => broker.isConnected(), WAIT_MS, 'the broker to be usable again');
      await publish('node1', 'after');
      const node1 = await record(names.nodeQueue('node1'));
      await waitFor(() => node1.length === 1, WAIT_MS, 'the message published afterwards');
      expect(idsOf(node1)).toEqual(['after']);
    });

    it('ack removes the message: a later consumer does not see it again', async () => {
      await publish('node1', 'm1');
      const first: Delivery[] = [];
      const consumer = await consume(names.nodeQueue('node1'), async (d) => {
        first.push(d);
        return 'ack';
      });
      await waitFor(() => first.length === 1, WAIT_MS, 'the first delivery');
      await consumer.close();

      await publish('node1', 'marker');
      const second = await record(names.nodeQueue('node1'));
      await waitFor(() => second.length >= 1, WAIT_MS, 'the marker');
      await sleep(QUIET_MS);
      expect(idsOf(second)).toEqual(['marker']);
    });

    it("'requeue' redelivers with redelivered=true and deliveryCount incremented", async () => {
      await publish('node1', 'm1');
      const deliveries = await record(names.nodeQueue('node1'), (d) =>
        d.deliveryCount === 0 ? 'requeue' : 'ack',
      );
      await waitFor(() => deliveries.length === 2, WAIT_MS, 'the redelivery');
      expect(deliveries.map((d) => [d.messageId, d.redelivered, d.deliveryCount])).toEqual([
        ['m1', false, 0],
        ['m1', true, 1],
      ]);
      expect(deliveries[1]?.body.equals(deliveries[0]?.body ?? Buffer.alloc(0))).toBe(true);
    });

    it('a handler that throws counts as requeue', async () => {
      await publish('node1', 'm1');
      const deliveries = await record(names.nodeQueue('node1'), (d) => {
        if (d.deliveryCount === 0) throw new Error('transient failure');
        return 'ack';
      });
      await waitFor(() => deliveries.length === 2, WAIT_MS, 'the redelivery');
      expect(deliveries.map((d) => [d.messageId, d.redelivered, d.deliveryCount])).toEqual([
        ['m1', false, 0],
        ['m1', true, 1],
      ]);
    });

    it("'reject' dead-letters the message with its routing key, once", async () => {
      await publish('node1', 'poison');
      const node1 = await record(names.nodeQueue('node1'), (d) =>
        d.messageId === 'poison' ? 'reject' : 'ack',
      );
      const dead = await record(names.deadLetterQueue);
      await waitFor(() => dead.length === 1, WAIT_MS, 'the dead-lettered message');

      expect(dead[0]).toMatchObject({
        messageId: 'poison',
        routingKey: 'node1',
        redelivered: false,
        deliveryCount: 0,
      });
      expect(JSON.parse(dead[0]?.body.toString() ?? '')).toEqual({ messageId: 'poison' });
      expect(dead[0]?.headers).toMatchObject({
        'x-first-death-reason': 'rejected',
        'x-first-death-queue': names.nodeQueue('node1'),
        'x-first-death-exchange': names.replicateExchange,
      });

      await publish('node1', 'marker');
      await waitFor(() => node1.length === 2, WAIT_MS, 'the marker');
      expect(idsOf(node1)).toEqual(['poison', 'marker']);
    });

    it(`a message requeued more than deliveryLimit (${DELIVERY_LIMIT}) times is dead-lettered`, async () => {
      await publish('node1', 'poison');
      const node1 = await record(names.nodeQueue('node1'), (d) =>
        d.messageId === 'poison' ? 'requeue' : 'ack',
      );
      const dead = await record(names.deadLetterQueue);
      await waitFor(() => dead.length === 1, WAIT_MS, 'the dead-lettered message');

      // The first delivery plus deliveryLimit redeliveries; returning the last one dead-letters it.
      expect(node1.map((d) => [d.redelivered, d.deliveryCount])).toEqual([
        [false, 0],
        [true, 1],
        [true, 2],
        [true, 3],
      ]);
      expect(dead[0]).toMatchObject({
        messageId: 'poison',
        routingKey: 'node1',
        redelivered: false,
        deliveryCount: 0,
      });
      expect(dead[0]?.headers).toMatchObject({
        'x-first-death-reason': 'delivery_limit',
        'x-first-death-queue': names.nodeQueue('node1'),
      });

      await publish('node1', 'marker');
      await waitFor(() => node1.length === DELIVERY_LIMIT + 2, WAIT_MS, 'the marker');
      expect(node1.at(-1)?.messageId).toBe('marker');
    });

    it('a consumer closed while holding a delivery hands it to another consumer', async () => {
      const queue = names.nodeQueue('node1');
      const held: Delivery[] = [];
      const release = deferred<Disposition>();
      const holder = await consume(
        queue,
        async (d) => {
          held.push(d);
          return release.promise;
        },
        1,
      );
      await publish('node1', 'm1');
      await waitFor(() => held.length === 1, WAIT_MS, 'the first consumer to hold the message');

      const other = await record(queue);
      await sleep(QUIET_MS);
      expect(other).toHaveLength(0);

      await holder.close();
      await waitFor(() => other.length === 1, WAIT_MS, 'the redelivery to the other consumer');
      expect(other[0]).toMatchObject({ messageId: 'm1', redelivered: true, deliveryCount: 1 });

      // The closed consumer's late verdict must be ignored, not settle someone else's delivery.
      release.resolve('ack');
      await publish('node1', 'marker');
      await waitFor(() => other.length === 2, WAIT_MS, 'the marker');
      await sleep(QUIET_MS);
      expect(idsOf(other)).toEqual(['m1', 'marker']);
      expect(held).toHaveLength(1);
    });

    it('close with a drain lets a delivery under way settle, and takes no new one meanwhile', async () => {
      const queue = names.nodeQueue('node1');
      const started: Delivery[] = [];
      const release = deferred<Disposition>();
      const draining = await consume(queue, async (d) => {
        started.push(d);
        return release.promise;
      });
      await publish('node1', 'under-way');
      await waitFor(() => started.length === 1, WAIT_MS, 'the delivery to start');

      const closed = draining.close({ drainTimeoutMs: WAIT_MS });
      await sleep(QUIET_MS);
      await publish('node1', 'after-close');
      await sleep(QUIET_MS);
      release.resolve('ack');
      await closed;
      expect(idsOf(started)).toEqual(['under-way']);

      const later = await record(queue);
      await waitFor(() => later.length === 1, WAIT_MS, 'the message published during the drain');
      await sleep(QUIET_MS);
      expect(idsOf(later)).toEqual(['after-close']);
      expect(later[0]?.redelivered).toBe(false);
    });

    it('close with a drain that times out hands the unsettled delivery back', async () => {
      const queue = names.nodeQueue('node1');
      const stuck = await consume(queue, () => new Promise<Disposition>(() => undefined));
      await publish('node1', 'stuck');
      await sleep(QUIET_MS);
      await stuck.close({ drainTimeoutMs: 200 });
      const later = await record(queue);
      await waitFor(() => later.length === 1, WAIT_MS, 'the redelivery');
      expect(later[0]).toMatchObject({ messageId: 'stuck', redelivered: true });
    });

    it('prefetch bounds the unacked deliveries each consumer holds; consumers of one queue compete', async () => {
      const queue = names.nodeQueue('node1');
      const prefetch = 2;
      const total = 6;
      const release = deferred<Disposition>();
      const stats = [0, 1].map(() => ({ received: 0, holding: 0, maxHolding: 0 }));
      for (const stat of stats) {
        await consume(
          queue,
          async () => {
            stat.received += 1;
            stat.holding += 1;
            stat.maxHolding = Math.max(stat.maxHolding, stat.holding);
            const disposition = await release.promise;
            stat.holding -= 1;
            return disposition;
          },
          prefetch,
        );
      }
      for (let i = 0; i < total; i++) await publish('node1', `m${i}`);

      const holding = () => stats.reduce((sum, s) => sum + s.holding, 0);
      await waitFor(() => holding() === 2 * prefetch, WAIT_MS, 'both consumers to fill their prefetch');
      await sleep(QUIET_MS);
      expect(stats.map((s) => s.holding)).toEqual([prefetch, prefetch]);

      release.resolve('ack');
      const received = () => stats.reduce((sum, s) => sum + s.received, 0);
      await waitFor(() => received() === total, WAIT_MS, 'every message');
      await sleep(QUIET_MS);
      expect(received()).toBe(total);
      for (const stat of stats) {
        expect(stat.maxHolding).toBeLessThanOrEqual(prefetch);
        expect(stat.received).toBeGreaterThan(0);
      }
    });

    it("routes events by topic: 'replica.*' and 'node.*' reach the ingest queue, other keys do not", async () => {
      await publish('replica.stored', 'stored', names.eventsExchange);
      await publish('node.heartbeat', 'heartbeat', names.eventsExchange);
      await expectBrokerError(
        publish('replica.stored.late', 'three-words', names.eventsExchange),
        'UNROUTABLE',
      );
      await expectBrokerError(publish('file.stored', 'other', names.eventsExchange), 'UNROUTABLE');

      const events = await record(names.ingestEventsQueue);
      await waitFor(() => events.length === 2, WAIT_MS, 'both events');
      await sleep(QUIET_MS);
      expect(events.map((d) => [d.messageId, d.routingKey])).toEqual([
        ['stored', 'replica.stored'],
        ['heartbeat', 'node.heartbeat'],
      ]);
    });

    it('re-declaring a queue with other arguments rejects with TOPOLOGY_MISMATCH', async () => {
      const changed = replicationTopology({
        prefix,
        nodes: [...NODES],
        ingestEvents: true,
        deliveryLimit: DELIVERY_LIMIT + 1,
      });
      await expectBrokerError(broker.assertTopology(changed), 'TOPOLOGY_MISMATCH');
    });

    it('after close it is not connected and publish rejects with BROKER_UNAVAILABLE', async () => {
      expect(broker.isConnected()).toBe(true);
      await broker.close();
      expect(broker.isConnected()).toBe(false);
      await expectBrokerError(publish('node1', 'late'), 'BROKER_UNAVAILABLE');
    });
  });
}

async function expectBrokerError(promise: Promise<unknown>, code: BrokerErrorCode): Promise<void> {
  const outcome = await promise.then(
    () => 'resolved',
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(BrokerError);
  expect(outcome).toMatchObject({ code });
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
