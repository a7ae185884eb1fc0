import amqp from 'amqplib';
import { replicationTopology } from '../../shared/src/broker/topology.ts';

/** Every name the benchmark declares starts with this, so cleanup can never touch anything else. */
export const BENCH_PREFIX = 'bench-';

/**
 * Deletes the queues and exchanges that ingest and the workers declared for `prefix` (the same
 * `replicationTopology` they build); names that do not exist are fine.
 */
export async function deleteBenchTopology(
  url: string,
  prefix: string,
  nodes: readonly string[],
): Promise<void> {
  if (!prefix.startsWith(BENCH_PREFIX)) throw new Error(`refusing to delete ${prefix}.*: not a bench prefix`);
  const topology = replicationTopology({ prefix, nodes: [...nodes], ingestEvents: true, deliveryLimit: 1 });
  const connection = await amqp.connect(url, { timeout: 5000 });
  connection.on('error', () => undefined);
  try {
    // A failed delete closes its channel, so each delete gets its own.
    const names = [
      ...topology.queues.map((q) => ({ kind: 'queue' as const, name: q.name })),
      ...topology.exchanges.map((x) => ({ kind: 'exchange' as const, name: x.name })),
    ];
    for (const { kind, name } of names) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        if (kind === 'queue') await channel.deleteQueue(name);
        else await channel.deleteExchange(name);
      } catch {
        // already gone
      } finally {
        await channel.close().catch(() => undefined);
      }
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}
