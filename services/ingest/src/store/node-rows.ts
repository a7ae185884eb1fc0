import type { NodeRecord } from './membership-store.ts';

/** A worker unheard for this long is forgotten (a process replaced long ago). */
export const FORGET_WORKER_AFTER_MS = 3_600_000;

/** A `nodes` row as every engine reads it. */
export interface NodeRow {
  id: string;
  url: string | null;
  zone: string | null;
  free_bytes: number | null;
  total_bytes: number | null;
  last_seen_ms: number | null;
  state: string | null;
  /** 0 or 1 (SQLite) or a boolean (PostgreSQL). */
  draining: number | boolean;
  drain_total: number;
}

export function toNodeRecord(row: NodeRow, workers: NodeRecord['workers']): NodeRecord {
  return {
    id: row.id,
    url: row.url,
    zone: row.zone,
    freeBytes: row.free_bytes,
    totalBytes: row.total_bytes,
    lastSeenMs: row.last_seen_ms,
    state: row.state,
    draining: Boolean(row.draining),
    drainTotal: row.drain_total,
    workers,
  };
}
