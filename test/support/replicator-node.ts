import { Replicator } from '../../services/node-worker/src/replicator.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { replicationTopology, type TopologyNames, topologyNames } from '../../shared/src/broker/topology.ts';
import type { BlobStore } from '../../shared/src/fs/blob-store.ts';
import { silentLogger } from '../../shared/src/logger.ts';
import { ClusterEvent, parseMessage } from '../../shared/src/messages/index.ts';

/** Node `n1`'s Replicator on the embedded broker, with the events it reports collected. */
export interface ReplicatorNode {
  broker: MemoryBroker;
  names: TopologyNames;
  /** Every event but heartbeats, in the order the broker delivered them. */
  events: ClusterEvent[];
  /** Publishes a command (any JSON, valid or not) to n1's queue. */
  send(message: object): Promise<void>;
  /** Stops consuming and closes the broker. */
  close(): Promise<void>;
}

/** Starts n1's Replicator over `store`, with a short retry backoff so tests reach the limit fast. */
export async function startReplicatorNode(store: BlobStore, deliveryLimit: number): Promise<ReplicatorNode> {
  const broker = new MemoryBroker();
  const names = topologyNames('t');
  await broker.assertTopology(
    replicationTopology({ prefix: 't', nodes: ['n1'], ingestEvents: true, deliveryLimit }),
  );
  const replicator = new Replicator({
    nodeId: 'n1',
    store,
    broker,
    names,
    logger: silentLogger(),
    clusterToken: undefined,
    deliveryLimit,
    retryBaseDelayMs: 5,
  });
  const events: ClusterEvent[] = [];
  const consumers = [
    await broker.consume(names.nodeQueue('n1'), replicator.handle, { prefetch: 4 }),
    await broker.consume(
      names.ingestEventsQueue,
      async (d) => {
        const parsed = parseMessage(ClusterEvent, d.body);
        if (parsed.ok && parsed.value.type !== 'NodeHeartbeat') events.push(parsed.value);
        return 'ack';
      },
      { prefetch: 10 },
    ),
  ];
  return {
    broker,
    names,
    events,
    send: (message) => broker.publish(names.replicateExchange, 'n1', Buffer.from(JSON.stringify(message))),
    async close() {
      for (const consumer of consumers) await consumer.close();
      await broker.close();
    },
  };
}
