import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.ts';
import {
  type Broker,
  BrokerError,
  type ConsumeOptions,
  type Consumer,
  type DeliveryHandler,
  type Disposition,
  type PublishOptions,
  type QueueStats,
} from './broker.ts';
import type { QueueSpec, Topology } from './topology.ts';

export interface AmqpBrokerOptions {
  url: string;
  logger: Logger;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs, with jitter. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

interface ConsumerRecord {
  queue: string;
  handler: DeliveryHandler;
  prefetch: number;
  channel: Channel | undefined;
  consumerTag: string | undefined;
  /** Deliveries being handled right now. */
  inFlight: Set<Promise<void>>;
  /** Closed or closing: take no new deliveries and do not consume again. */
  closed: boolean;
}

const PUBLISH_ID_HEADER = 'x-dfr-publish-id';

/**
 * RabbitMQ adapter. A small supervisor keeps one connection: it reconnects with backoff and
 * jitter, then re-declares every topology and restarts every consumer, because amqplib leaves
 * channels, consumers and prefetch to the caller. Publishes use a confirm channel with
 * `mandatory`, so an unroutable message is an error rather than a silent loss. Publishes in
 * flight when the connection drops are rejected; the caller's outbox re-publishes them.
 */
export class AmqpBroker implements Broker {
  private model: ChannelModel | undefined;
  private publishChannel: ConfirmChannel | undefined;
  private readonly topologies: Topology[] = [];
  private readonly consumers = new Set<ConsumerRecord>();
  private readonly returned = new Set<string>();
  private closing = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  private constructor(private readonly options: AmqpBrokerOptions) {}

  /**
   * Connects in the background and keeps reconnecting; resolves after the first attempt, connected
   * or not, so a service can start (and accept uploads) while RabbitMQ is down.
   */
  static async start(options: AmqpBrokerOptions): Promise<AmqpBroker> {
    const broker = new AmqpBroker(options);
    await broker.connect();
    return broker;
  }

  /** Resolves once connected, or rejects after timeoutMs. */
  async waitUntilConnected(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isConnected()) {
      if (Date.now() > deadline)
        throw new BrokerError('BROKER_UNAVAILABLE', 'RabbitMQ did not become reachable');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  isConnected(): boolean {
    return this.publishChannel !== undefined && !this.closing;
  }

  async assertTopology(topology: Topology): Promise<void> {
    const key = JSON.stringify(topology);
    if (!this.topologies.some((known) => JSON.stringify(known) === key)) this.topologies.push(topology);
    if (this.model) await this.declare(this.model, topology);
  }

  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions = {},
  ): Promise<void> {
    const channel = this.publishChannel;
    if (!channel) throw new BrokerError('BROKER_UNAVAILABLE', 'not connected to RabbitMQ');
    const publishId = randomUUID();
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        exchange,
        routingKey,
        body,
        {
          persistent: true,
          mandatory: true,
          contentType: 'application/json',
          messageId: options.messageId ?? publishId,
          headers: { ...options.headers, [PUBLISH_ID_HEADER]: publishId },
        },
        (err) => {
          // basic.return arrives before the confirm of the same message.
          const unroutable = this.returned.delete(publishId);
          if (err) reject(new BrokerError('NACKED', 'RabbitMQ refused the message', { cause: err }));
          else if (unroutable)
            reject(new BrokerError('UNROUTABLE', `no queue bound to ${exchange} for ${routingKey}`));
          else resolve();
        },
      );
    });
  }

  async inspectQueue(queue: string): Promise<QueueStats | undefined> {
    const model = this.model;
    if (!model || this.closing) return undefined;
    // A passive declare of a missing queue closes its channel, so each look gets its own.
    const channel = await model.createChannel().catch(() => undefined);
    if (!channel) return undefined;
    channel.on('error', () => undefined);
    try {
      const info = await channel.checkQueue(queue);
      return { messages: info.messageCount, consumers: info.consumerCount };
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const record: ConsumerRecord = {
      queue,
      handler,
      prefetch: options.prefetch,
      channel: undefined,
      consumerTag: undefined,
      inFlight: new Set(),
      closed: false,
    };
    this.consumers.add(record);
    if (this.model) await this.startConsumer(this.model, record);
    return {
      close: async ({ drainTimeoutMs = 0 } = {}) => {
        record.closed = true;
        this.consumers.delete(record);
        const channel = record.channel;
        if (channel && record.consumerTag) await channel.cancel(record.consumerTag).catch(() => undefined);
        if (drainTimeoutMs > 0 && record.inFlight.size > 0) {
          await Promise.race([Promise.allSettled([...record.inFlight]), delay(drainTimeoutMs)]);
        }
        record.channel = undefined;
        // Closing the channel (not just cancelling) hands unacknowledged deliveries back at once.
        await channel?.close().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => undefined);
    for (const record of this.consumers) record.closed = true;
    const model = this.model;
    this.model = undefined;
    this.publishChannel = undefined;
    await model?.close().catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting = this.tryConnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async tryConnect(): Promise<void> {
    const log = this.options.logger;
    let model: ChannelModel | undefined;
    try {
      // noDelay: with Nagle's algorithm a small publish or ack waits for the peer's delayed
      // ACK (40 ms on Linux), which once made every small file's replication wait twice.
      model = await amqp.connect(this.options.url, { timeout: 5000, noDelay: true });
      model.on('error', (err: Error) => log.warn({ err: err.message }, 'RabbitMQ connection error'));
      model.on('close', () => this.onConnectionLost(model as ChannelModel));
      await this.declareAll(model);
      const publishChannel = await this.openPublishChannel(model);
      this.model = model;
      for (const record of this.consumers) await this.startConsumer(model, record);
      if (this.closing) {
        await model.close().catch(() => undefined);
        return;
      }
      this.publishChannel = publishChannel;
      if (this.attempt > 0) log.info({ attempts: this.attempt }, 'reconnected to RabbitMQ');
      else log.info('connected to RabbitMQ');
      this.attempt = 0;
    } catch (err) {
      if (err instanceof BrokerError && err.code === 'TOPOLOGY_MISMATCH') {
        await model?.close().catch(() => undefined);
        throw err;
      }
      log.warn({ err, attempt: this.attempt }, 'cannot reach RabbitMQ; will retry');
      if (model) await model.close().catch(() => undefined);
      else this.scheduleReconnect();
    }
  }

  private async openPublishChannel(model: ChannelModel): Promise<ConfirmChannel> {
    const log = this.options.logger;
    const channel = await model.createConfirmChannel();
    channel.on('error', (err: Error) => log.warn({ err: err.message }, 'RabbitMQ publish channel error'));
    channel.on('return', (message: ConsumeMessage) => {
      const id = message.properties.headers?.[PUBLISH_ID_HEADER];
      if (typeof id === 'string') this.returned.add(id);
    });
    channel.on('close', () => {
      if (this.publishChannel !== channel) return;
      this.publishChannel = undefined;
      // A channel error (say, a publish to an exchange that does not exist) closes this channel
      // only: the connection lives on, so no reconnect would ever replace it. When the whole
      // connection is closing, its own close handler runs in this same tick and takes over.
      setImmediate(() => void this.reopenPublishChannel(model));
    });
    return channel;
  }

  private async reopenPublishChannel(model: ChannelModel): Promise<void> {
    if (this.closing || this.model !== model || this.publishChannel) return;
    try {
      const channel = await this.openPublishChannel(model);
      if (this.closing || this.model !== model) await channel.close().catch(() => undefined);
      else this.publishChannel = channel;
    } catch (err) {
      // Without a publish channel the connection is no use: drop it, and reconnect from scratch.
      this.options.logger.warn({ err }, 'cannot reopen the publish channel; reconnecting');
      await model.close().catch(() => undefined);
    }
  }

  private onConnectionLost(model: ChannelModel): void {
    if (this.model !== model && this.model !== undefined) return;
    this.model = undefined;
    this.publishChannel = undefined;
    for (const record of this.consumers) record.channel = undefined;
    if (this.closing) return;
    this.options.logger.warn('lost the RabbitMQ connection; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const min = this.options.reconnectMinMs ?? 200;
    const max = this.options.reconnectMaxMs ?? 10_000;
    const ceiling = Math.min(max, min * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect().catch((err) => {
        // A queue declared with other arguments: an operator has to act; keep trying meanwhile.
        this.options.logger.error({ err }, 'cannot declare the topology; will retry');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private async declare(model: ChannelModel, topology: Topology): Promise<void> {
    // A failed declaration closes its channel, so declarations get a channel of their own.
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      for (const exchange of topology.exchanges) {
        await channel.assertExchange(exchange.name, exchange.type, { durable: true });
      }
      for (const queue of topology.queues) {
        await channel
          .assertQueue(queue.name, { durable: true, arguments: queueArguments(queue) })
          .catch((err) => {
            throw new BrokerError(
              'TOPOLOGY_MISMATCH',
              `queue ${queue.name} exists with other arguments than ${JSON.stringify(queueArguments(queue))}; delete it or use another DFR_AMQP_PREFIX`,
              { cause: err },
            );
          });
        for (const binding of queue.bindings) {
          await channel.bindQueue(queue.name, binding.exchange, binding.routingKey);
        }
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private async startConsumer(model: ChannelModel, record: ConsumerRecord): Promise<void> {
    if (record.closed) return;
    const channel = await model.createChannel();
    channel.on('error', (err: Error) =>
      this.options.logger.warn({ err: err.message, queue: record.queue }, 'consumer channel error'),
    );
    channel.on('close', () => {
      if (record.channel !== channel) return;
      record.channel = undefined;
      // The broker closed this channel alone (a channel error, the consumer timeout): the
      // connection is fine, so consume again on a new channel.
      if (!record.closed && this.model === model) {
        this.options.logger.warn({ queue: record.queue }, 'consumer channel closed; consuming again');
        setTimeout(() => {
          if (this.model === model && !record.channel && !record.closed) {
            // The queue may be gone (deleted by hand): declare everything again first.
            this.declareAll(model)
              .then(() => this.startConsumer(model, record))
              .catch((err) =>
                this.options.logger.error({ err, queue: record.queue }, 'cannot consume again'),
              );
          }
        }, 500).unref();
      }
    });
    await channel.prefetch(record.prefetch);
    record.channel = channel;
    const { consumerTag } = await channel.consume(record.queue, (message) => {
      if (message === null) {
        // The broker cancelled the consumer (its queue was deleted); the close handler consumes again.
        this.options.logger.warn({ queue: record.queue }, 'consumer cancelled by RabbitMQ');
        void channel.close().catch(() => undefined);
        return;
      }
      // Deliveries still arriving after a cancel stay unacknowledged and return with the channel.
      if (record.closed) return;
      const handling = this.handle(record, channel, message);
      record.inFlight.add(handling);
      void handling.finally(() => record.inFlight.delete(handling));
    });
    record.consumerTag = consumerTag;
  }

  private async declareAll(model: ChannelModel): Promise<void> {
    for (const topology of this.topologies) await this.declare(model, topology);
  }

  private async handle(record: ConsumerRecord, channel: Channel, message: ConsumeMessage): Promise<void> {
    const headers = message.properties.headers ?? {};
    let disposition: Disposition;
    try {
      disposition = await record.handler({
        body: message.content,
        messageId: message.properties.messageId,
        routingKey: message.fields.routingKey,
        redelivered: message.fields.redelivered,
        deliveryCount: Number(headers['x-delivery-count'] ?? 0),
        headers,
      });
    } catch (err) {
      this.options.logger.warn({ err, queue: record.queue }, 'handler failed; requeueing');
      disposition = 'requeue';
    }
    // A tag from a closed channel must not be used: acking it would close the new channel, and the
    // broker redelivers the message anyway.
    if (record.channel !== channel) return;
    try {
      if (disposition === 'ack') channel.ack(message);
      else channel.nack(message, false, disposition === 'requeue');
    } catch (err) {
      this.options.logger.warn({ err, queue: record.queue }, 'could not settle a delivery');
    }
  }
}

function queueArguments(queue: QueueSpec): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-queue-type': 'quorum' };
  if (queue.deadLetterExchange) args['x-dead-letter-exchange'] = queue.deadLetterExchange;
  if (queue.deliveryLimit !== undefined) args['x-delivery-limit'] = queue.deliveryLimit;
  return args;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
