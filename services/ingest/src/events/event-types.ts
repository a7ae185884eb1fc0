/**
 * The events of the live status (API.md, "Live status"): file events carry `fileId`, replica
 * and node events `node`. Kept in the event log (store/event-store.ts) and sent over SSE. A
 * list as well as a type: a browser's EventSource needs every name it listens for.
 */
export const EVENT_TYPES = [
  'file.received',
  'file.completed',
  'file.degraded',
  'file.healed',
  'file.deleted',
  'replica.stored',
  'replica.failed',
  'replica.lost',
  'replica.deleted',
  'node.up',
  'node.suspect',
  'node.down',
  'node.draining',
  'node.drained',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as the services record it; the log adds its id and, when not given, the time. */
export interface ClusterChange {
  type: EventType;
  fileId?: string | undefined;
  node?: string | undefined;
  at?: string;
  data?: Record<string, unknown>;
}

/** Events after which a file's stream has nothing more to say. */
export const FINAL_FILE_EVENTS: ReadonlySet<string> = new Set(['file.deleted']);
