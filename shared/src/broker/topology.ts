/** A broker-neutral description of exchanges, queues and bindings. */
export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
}

export interface ExchangeSpec {
  name: string;
  type: 'direct' | 'topic' | 'fanout';
}

export interface QueueSpec {
  name: string;
  bindings: { exchange: string; routingKey: string }[];
  /** Exchange that receives rejected messages and messages past the delivery limit (original routing key kept). */
  deadLetterExchange?: string;
  /** Deliveries after which a message is dead-lettered instead of redelivered. */
  deliveryLimit?: number;
}

/** Names of everything the replication service declares, derived from one prefix. */
export interface TopologyNames {
  replicateExchange: string;
  eventsExchange: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  ingestEventsQueue: string;
  nodeQueue(node: string): string;
}

export function topologyNames(prefix: string): TopologyNames {
  return {
    replicateExchange: `${prefix}.replicate`,
    eventsExchange: `${prefix}.events`,
    deadLetterExchange: `${prefix}.dead`,
    deadLetterQueue: `${prefix}.dead-letter`,
    ingestEventsQueue: `${prefix}.events.ingest`,
    nodeQueue: (node) => `${prefix}.replicate.${node}`,
  };
}

/** Event routing keys on the events exchange. */
export const EventKeys = {
  replicaStored: 'replica.stored',
  replicaFailed: 'replica.failed',
  replicaLost: 'replica.lost',
  replicaDeleted: 'replica.deleted',
  nodeHeartbeat: 'node.heartbeat',
  nodeInventory: 'node.inventory',
} as const;

export interface ReplicationTopologyOptions {
  prefix: string;
  /** Node ids whose command queues to declare. */
  nodes: string[];
  /** Include the queue ingest consumes events from. */
  ingestEvents: boolean;
  deliveryLimit: number;
}

/**
 * The whole replication topology: a direct exchange routing commands to one queue per node, a
 * topic exchange for events, and a dead-letter exchange with one queue that keeps what failed.
 * Every declarer (ingest and each worker) builds it from this function, so the arguments agree.
 */
export function replicationTopology(options: ReplicationTopologyOptions): Topology {
  const names = topologyNames(options.prefix);
  const queues: QueueSpec[] = [
    { name: names.deadLetterQueue, bindings: [{ exchange: names.deadLetterExchange, routingKey: '#' }] },
    ...options.nodes.map((node) => ({
      name: names.nodeQueue(node),
      bindings: [{ exchange: names.replicateExchange, routingKey: node }],
      deadLetterExchange: names.deadLetterExchange,
      deliveryLimit: options.deliveryLimit,
    })),
  ];
  if (options.ingestEvents) {
    queues.push({
      name: names.ingestEventsQueue,
      bindings: [
        { exchange: names.eventsExchange, routingKey: 'replica.*' },
        { exchange: names.eventsExchange, routingKey: 'node.*' },
      ],
      deadLetterExchange: names.deadLetterExchange,
      deliveryLimit: options.deliveryLimit,
    });
  }
  return {
    exchanges: [
      { name: names.replicateExchange, type: 'direct' },
      { name: names.eventsExchange, type: 'topic' },
      { name: names.deadLetterExchange, type: 'topic' },
    ],
    queues,
  };
}

/** AMQP topic matching: `*` is one word, `#` is zero or more words. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}
