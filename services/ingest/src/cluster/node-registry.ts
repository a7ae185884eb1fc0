import type { NodeHeartbeat } from '../../../../shared/src/messages/index.ts';

export interface NodeView {
  id: string;
  url: string | null;
  healthy: boolean;
  lastSeen: string | null;
  /** Worker processes heard from recently. */
  workers: number;
}

/** What ingest knows about nodes, from their heartbeats. */
export class NodeRegistry {
  private readonly seen = new Map<
    string,
    { url: string; lastSeenMs: number; workers: Map<string, number> }
  >();

  constructor(
    private readonly configured: string[],
    /** A node unheard for this long counts as unhealthy. */
    private readonly staleAfterMs: number,
  ) {}

  record(beat: NodeHeartbeat, nowMs = Date.now()): void {
    const entry = this.seen.get(beat.node) ?? { url: beat.url, lastSeenMs: 0, workers: new Map() };
    entry.url = beat.url;
    entry.lastSeenMs = Math.max(entry.lastSeenMs, nowMs);
    entry.workers.set(beat.workerId, nowMs);
    this.seen.set(beat.node, entry);
  }

  /** A URL of a healthy worker of the node, if any. */
  urlOf(node: string, nowMs = Date.now()): string | undefined {
    const entry = this.seen.get(node);
    return entry && nowMs - entry.lastSeenMs <= this.staleAfterMs ? entry.url : undefined;
  }

  list(nowMs = Date.now()): NodeView[] {
    const ids = [...new Set([...this.configured, ...this.seen.keys()])];
    return ids.map((id) => {
      const entry = this.seen.get(id);
      if (!entry) return { id, url: null, healthy: false, lastSeen: null, workers: 0 };
      const workers = [...entry.workers.values()].filter((t) => nowMs - t <= this.staleAfterMs).length;
      return {
        id,
        url: entry.url,
        healthy: nowMs - entry.lastSeenMs <= this.staleAfterMs,
        lastSeen: new Date(entry.lastSeenMs).toISOString(),
        workers,
      };
    });
  }
}
