/** An event of the log as it is appended: what happened, to which file or node. */
export interface NewEvent {
  /** `file.received`, `replica.stored`, `node.down`, ... (events/event-types.ts). */
  type: string;
  fileId?: string | undefined;
  node?: string | undefined;
  /** ISO time it happened. */
  at: string;
  /** What else there is to say (JSON). */
  data?: Record<string, unknown>;
}

/** An event of the log as it is read back, with the id the log gave it. */
export interface StoredEvent extends NewEvent {
  /** Increasing in the order the events were committed: what SSE clients resume from. */
  id: number;
}

export interface EventQuery {
  /** Only events with a larger id. */
  afterId?: number;
  /** Only this file's events. */
  fileId?: string;
  limit: number;
}

/**
 * The cluster's event log, kept in the metadata database so every ingest instance writes and
 * reads the same one (SSE streams, file histories). Bounded: `trim` drops the oldest. Adapters:
 * SQLite and PostgreSQL, both held to test/integration/event-store-contract.ts.
 */
export interface EventStore {
  /** Appends events in one transaction, in order. */
  append(events: readonly NewEvent[]): Promise<void>;
  /** Events oldest first, as the query selects them. */
  read(query: EventQuery): Promise<StoredEvent[]>;
  /** The id of the newest event, 0 when there is none. */
  lastId(): Promise<number>;
  /** Keeps the newest `keep` events and drops the rest; returns how many went. */
  trim(keep: number): Promise<number>;
}
