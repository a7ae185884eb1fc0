import amqp, { type ChannelModel } from 'amqplib';
import { EventKeys, topologyNames } from '../../shared/src/broker/topology.ts';

/**
 * Listens to the cluster's ReplicaStored and ReplicasStored events on a private, exclusive queue bound to the events
 * exchange, so the benchmark learns when a file's last replica landed without polling ingest for
 * every file in flight. It only says when to look: UPLOAD_OK 3 itself is still read from
 * ingest's status endpoint.
 */
export class ReplicaTap {
  private readonly stored = new Map<string, Set<string>>();
  private readonly waiting = new Map<string, { nodes: number; resolve: () => void }>();

  private constructor(private readonly connection: ChannelModel) {}

  /** Binds to `<prefix>.events`, which ingest declared when it started. */
  static async open(url: string, prefix: string): Promise<ReplicaTap> {
    const connection = await amqp.connect(url, { timeout: 5000 });
    connection.on('error', () => undefined);
    const tap = new ReplicaTap(connection);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, topologyNames(prefix).eventsExchange, EventKeys.replicaStored);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        // A ReplicaStored names one file; a ReplicasStored (the answer to a batch) several.
        const event = JSON.parse(message.content.toString()) as {
          node: string;
          fileId?: string;
          replicas?: { fileId: string }[];
        };
        for (const { fileId } of event.replicas ?? [{ fileId: event.fileId ?? '' }]) {
          tap.record(fileId, event.node);
        }
      },
      { noAck: true },
    );
    return tap;
  }

  /** Resolves once `nodes` distinct nodes reported a stored copy of the file. */
  storedOn(fileId: string, nodes: number): Promise<void> {
    if ((this.stored.get(fileId)?.size ?? 0) >= nodes) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(fileId, { nodes, resolve }));
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  private record(fileId: string, node: string): void {
    const nodes = this.stored.get(fileId) ?? new Set<string>();
    nodes.add(node);
    this.stored.set(fileId, nodes);
    const waiter = this.waiting.get(fileId);
    if (waiter && nodes.size >= waiter.nodes) {
      this.waiting.delete(fileId);
      waiter.resolve();
    }
  }
}
