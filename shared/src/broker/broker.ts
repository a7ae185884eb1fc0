import type { Topology } from './topology.ts';

/** What a consumer decides for one delivery. */
export type Disposition =
  /** The effect is durable: remove the message. */
  | 'ack'
  /** A transient failure: put the message back for another attempt (counts toward the delivery limit). */
  | 'requeue'
  /** A permanent failure: dead-letter the message (or drop it when its queue has no dead-letter route). */
  | 'reject';

/** One message handed to a consumer. */
export interface Delivery {
  readonly body: Buffer;
  readonly messageId: string | undefined;
  readonly routingKey: string;
  /** True when the broker delivered this message before (to this or another consumer). */
  readonly redelivered: boolean;
  /** Earlier deliveries of this message that ended without an ack (0 on the first delivery). */
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** Handles one delivery; a thrown error counts as 'requeue'. */
export type DeliveryHandler = (delivery: Delivery) => Promise<Disposition>;

export interface ConsumeOptions {
  /** Unacknowledged deliveries this consumer may hold at once. */
  prefetch: number;
}

export interface PublishOptions {
  /** Stable id of the message, kept across re-publishes so consumers can log and dedupe. */
  messageId?: string;
  headers?: Record<string, string | number>;
}

/** What a queue holds, as `inspectQueue` reports it. */
export interface QueueStats {
  messages: number;
  consumers: number;
}

/** A running consumer; closing it hands its unacknowledged deliveries back to the queue. */
export interface Consumer {
  /**
   * Stops taking deliveries, waits up to `drainTimeoutMs` (default 0) for the deliveries being
   * handled to settle, then hands back whatever is still unsettled.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<void>;
}

/**
 * The message transport every service talks to. Adapters: RabbitMQ (amqp-broker.ts) and the
 * embedded in-process broker (memory-broker.ts); both pass test/integration/broker-contract.
 */
export interface Broker {
  /** Declares exchanges, queues and bindings; idempotent, and redone by the adapter on reconnect. */
  assertTopology(topology: Topology): Promise<void>;
  /**
   * Resolves once the broker has taken responsibility for the message (publisher confirm).
   * Rejects with BrokerError when the broker is unreachable, refuses the message, or no queue
   * is bound for the routing key (an unroutable message would otherwise vanish silently).
   */
  publish(exchange: string, routingKey: string, body: Buffer, options?: PublishOptions): Promise<void>;
  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer>;
  /**
   * How many messages wait in a queue (ready, not handed to a consumer) and how many consumers
   * it has; undefined when there is no such queue or the broker cannot be asked now. For metrics
   * and dashboards: figures a moment old are fine.
   */
  inspectQueue(queue: string): Promise<QueueStats | undefined>;
  /** True while messages can be published and consumed. */
  isConnected(): boolean;
  close(): Promise<void>;
}

export type BrokerErrorCode = 'BROKER_UNAVAILABLE' | 'UNROUTABLE' | 'NACKED' | 'TOPOLOGY_MISMATCH';

export class BrokerError extends Error {
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BrokerError';
  }
}
