import type { Broker, QueueStats } from '../../../../shared/src/broker/broker.ts';
import type { TopologyNames } from '../../../../shared/src/broker/topology.ts';
import type { MetadataStats, MetadataStore } from '../store/metadata-store.ts';
import type { Membership } from './membership.ts';

/** Figures this young are handed out again: a scrape and a dashboard refresh read the database once. */
const REUSE_MS = 1_000;

/** A value read at most once per `REUSE_MS`; a failed read is not kept. */
function reused<T>(read: () => Promise<T>): () => Promise<T> {
  let cached: { atMs: number; value: Promise<T> } | undefined;
  return () => {
    const nowMs = Date.now();
    if (!cached || nowMs - cached.atMs > REUSE_MS) {
      const value = read();
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      cached = { atMs: nowMs, value };
    }
    return cached.value;
  };
}

/**
 * The cluster in figures, for /metrics and the dashboard: the metadata's counts (files, replicas
 * by state, under-replicated, oldest pending, commands due), and what the broker says of each
 * node's queue and of the dead letters. Each is read at most once a second however many ask, so
 * a dozen open dashboards cost what one does.
 */
export class ClusterStats {
  readonly stats: () => Promise<MetadataStats>;
  readonly queues: () => Promise<Map<string, QueueStats>>;
  readonly deadLetters: () => Promise<number | undefined>;

  constructor(deps: {
    metadata: MetadataStore;
    membership: Membership;
    broker: Broker;
    names: TopologyNames;
  }) {
    this.stats = reused(async () => {
      const down = await deps.membership.downNodes();
      return deps.metadata.stats(Date.now(), [...down]);
    });
    // One channel per look (amqp-broker.ts): in parallel, so a refresh takes one round trip.
    this.queues = reused(async () => {
      const members = await deps.membership.members();
      const looks = await Promise.all(
        members.map(async (m) => [m.id, await deps.broker.inspectQueue(deps.names.nodeQueue(m.id))] as const),
      );
      return new Map(looks.filter((look): look is [string, QueueStats] => look[1] !== undefined));
    });
    this.deadLetters = reused(
      async () => (await deps.broker.inspectQueue(deps.names.deadLetterQueue))?.messages,
    );
  }
}

/** Seconds since `since` (an ISO time), 0 when there is none. */
export function ageSeconds(since: string | null, nowMs = Date.now()): number {
  return since ? Math.max(0, (nowMs - Date.parse(since)) / 1000) : 0;
}
