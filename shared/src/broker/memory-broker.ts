import { randomUUID } from 'node:crypto';
import {
  type Broker,
  BrokerError,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type DeliveryHandler,
  type Disposition,
  type PublishOptions,
  type QueueStats,
} from './broker.ts';
import { type ExchangeSpec, type QueueSpec, type Topology, topicMatches } from './topology.ts';

interface StoredMessage {
  /** The exchange the message was last published or dead-lettered to. */
  exchange: string;
  body: Buffer;
  messageId: string | undefined;
  routingKey: string;
  headers: Record<string, unknown>;
  deliveryCount: number;
  redelivered: boolean;
}

interface ConsumerState {
  handler: DeliveryHandler;
  prefetch: number;
  inFlight: Set<StoredMessage>;
  closed: boolean;
}

interface QueueState {
  spec: QueueSpec;
  ready: StoredMessage[];
  consumers: ConsumerState[];
  nextConsumer: number;
  dispatchScheduled: boolean;
}

/**
 * The embedded in-process broker: lets `npm start` run without RabbitMQ. It keeps the semantics
 * the services rely on (confirm on publish, unroutable rejection, per-consumer prefetch, requeue
 * with delivery counting, delivery limit and dead-lettering, redelivery of what a closed consumer
 * held) but nothing survives the process.
 */
export class MemoryBroker implements Broker {
  private readonly exchanges = new Map<string, ExchangeSpec>();
  private readonly queues = new Map<string, QueueState>();
  private closed = false;

  async assertTopology(topology: Topology): Promise<void> {
    for (const exchange of topology.exchanges) {
      const existing = this.exchanges.get(exchange.name);
      if (existing && existing.type !== exchange.type) {
        throw new BrokerError(
          'TOPOLOGY_MISMATCH',
          `exchange ${exchange.name} exists with type ${existing.type}`,
        );
      }
      this.exchanges.set(exchange.name, exchange);
    }
    for (const spec of topology.queues) {
      const existing = this.queues.get(spec.name);
      if (!existing) {
        this.queues.set(spec.name, {
          spec,
          ready: [],
          consumers: [],
          nextConsumer: 0,
          dispatchScheduled: false,
        });
        continue;
      }
      if (
        existing.spec.deliveryLimit !== spec.deliveryLimit ||
        existing.spec.deadLetterExchange !== spec.deadLetterExchange
      ) {
        throw new BrokerError('TOPOLOGY_MISMATCH', `queue ${spec.name} exists with other arguments`);
      }
      for (const binding of spec.bindings) {
        const known = existing.spec.bindings.some(
          (b) => b.exchange === binding.exchange && b.routingKey === binding.routingKey,
        );
        if (!known) existing.spec.bindings.push(binding);
      }
    }
  }

  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions = {},
  ): Promise<void> {
    if (this.closed) throw new BrokerError('BROKER_UNAVAILABLE', 'broker is closed');
    const routed = this.route(exchange, routingKey, {
      exchange,
      body: Buffer.from(body),
      messageId: options.messageId ?? randomUUID(),
      routingKey,
      headers: { ...options.headers },
      deliveryCount: 0,
      redelivered: false,
    });
    if (!routed) throw new BrokerError('UNROUTABLE', `no queue bound to ${exchange} for ${routingKey}`);
  }

  async inspectQueue(queueName: string): Promise<QueueStats | undefined> {
    const queue = this.queues.get(queueName);
    if (!queue || this.closed) return undefined;
    return { messages: queue.ready.length, consumers: queue.consumers.filter((c) => !c.closed).length };
  }

  async consume(queueName: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const queue = this.queues.get(queueName);
    if (!queue) throw new BrokerError('TOPOLOGY_MISMATCH', `queue ${queueName} is not declared`);
    const state: ConsumerState = { handler, prefetch: options.prefetch, inFlight: new Set(), closed: false };
    queue.consumers.push(state);
    this.scheduleDispatch(queue);
    return {
      close: async ({ drainTimeoutMs = 0 } = {}) => {
        if (state.closed) return;
        // Out of the rotation first, so no new delivery arrives while the current ones settle.
        queue.consumers = queue.consumers.filter((c) => c !== state);
        const deadline = Date.now() + drainTimeoutMs;
        while (state.inFlight.size > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        state.closed = true;
        for (const message of state.inFlight) this.returnToQueue(queue, message);
        state.inFlight.clear();
        this.scheduleDispatch(queue);
      },
    };
  }

  isConnected(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) {
      for (const consumer of queue.consumers) consumer.closed = true;
      queue.consumers = [];
    }
  }

  /** Messages waiting in a queue (not counting unacknowledged ones); for tests and metrics. */
  depth(queueName: string): number {
    return this.queues.get(queueName)?.ready.length ?? 0;
  }

  private route(exchangeName: string, routingKey: string, message: StoredMessage): boolean {
    const exchange = this.exchanges.get(exchangeName);
    if (!exchange) throw new BrokerError('NACKED', `exchange ${exchangeName} is not declared`);
    let routed = false;
    for (const queue of this.queues.values()) {
      const bound = queue.spec.bindings.some(
        (b) => b.exchange === exchangeName && bindingMatches(exchange, b.routingKey, routingKey),
      );
      if (!bound) continue;
      queue.ready.push({ ...message, headers: { ...message.headers } });
      this.scheduleDispatch(queue);
      routed = true;
    }
    return routed;
  }

  private scheduleDispatch(queue: QueueState): void {
    if (queue.dispatchScheduled || this.closed) return;
    queue.dispatchScheduled = true;
    setImmediate(() => {
      queue.dispatchScheduled = false;
      this.dispatch(queue);
    });
  }

  private dispatch(queue: QueueState): void {
    while (queue.ready.length > 0) {
      const consumer = this.nextFreeConsumer(queue);
      if (!consumer) return;
      const message = queue.ready.shift() as StoredMessage;
      consumer.inFlight.add(message);
      void this.deliver(queue, consumer, message);
    }
  }

  private nextFreeConsumer(queue: QueueState): ConsumerState | undefined {
    const count = queue.consumers.length;
    for (let i = 0; i < count; i++) {
      const consumer = queue.consumers[(queue.nextConsumer + i) % count];
      if (consumer && !consumer.closed && consumer.inFlight.size < consumer.prefetch) {
        queue.nextConsumer = (queue.nextConsumer + i + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  private async deliver(queue: QueueState, consumer: ConsumerState, message: StoredMessage): Promise<void> {
    const delivery: Delivery = {
      body: message.body,
      messageId: message.messageId,
      routingKey: message.routingKey,
      redelivered: message.redelivered,
      deliveryCount: message.deliveryCount,
      headers: message.headers,
    };
    let disposition: Disposition;
    try {
      disposition = await consumer.handler(delivery);
    } catch {
      disposition = 'requeue';
    }
    // A consumer closed meanwhile has already handed the message back.
    if (consumer.closed || !consumer.inFlight.delete(message)) return;
    if (disposition === 'requeue') this.returnToQueue(queue, message);
    else if (disposition === 'reject') this.deadLetter(queue, message, 'rejected');
    this.scheduleDispatch(queue);
  }

  private returnToQueue(queue: QueueState, message: StoredMessage): void {
    message.deliveryCount += 1;
    message.redelivered = true;
    const limit = queue.spec.deliveryLimit;
    if (limit !== undefined && message.deliveryCount > limit) {
      this.deadLetter(queue, message, 'delivery_limit');
      return;
    }
    queue.ready.unshift(message);
    this.scheduleDispatch(queue);
  }

  /**
   * Routes the message through the queue's dead-letter exchange with its routing key, as RabbitMQ
   * does, with RabbitMQ's `x-first-death-*` headers (kept from an earlier death, if any).
   */
  private deadLetter(queue: QueueState, message: StoredMessage, reason: 'rejected' | 'delivery_limit'): void {
    const exchange = queue.spec.deadLetterExchange;
    if (!exchange || !this.exchanges.has(exchange)) return;
    this.route(exchange, message.routingKey, {
      ...message,
      exchange,
      deliveryCount: 0,
      redelivered: false,
      headers: {
        'x-first-death-exchange': message.exchange,
        'x-first-death-queue': queue.spec.name,
        'x-first-death-reason': reason,
        ...message.headers,
      },
    });
  }
}

function bindingMatches(exchange: ExchangeSpec, pattern: string, routingKey: string): boolean {
  if (exchange.type === 'fanout') return true;
  if (exchange.type === 'direct') return pattern === routingKey;
  return topicMatches(pattern, routingKey);
}
