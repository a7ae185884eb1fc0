/** A node as its heartbeats and the operators left it (the membership's raw material). */
export interface NodeRecord {
  id: string;
  /** Where its workers serve downloads; null until its first heartbeat. */
  url: string | null;
  zone: string | null;
  freeBytes: number | null;
  totalBytes: number | null;
  /** Its latest heartbeat; null for a node expected (DFR_NODES) but never heard from. */
  lastSeenMs: number | null;
  /** The state last recorded for it (see `setNodeState`); null before the first. */
  state: string | null;
  draining: boolean;
  /** Replica rows on the node when its drain began. */
  drainTotal: number;
  /** Its worker processes and when each was last heard from. */
  workers: { id: string; lastSeenMs: number }[];
}

/** One heartbeat, as recorded. */
export interface HeartbeatRecord {
  node: string;
  workerId: string;
  url: string;
  zone?: string | undefined;
  freeBytes?: number | undefined;
  totalBytes?: number | undefined;
  atMs: number;
}

/** How many replica rows of each kind a node has. */
export interface NodeReplicaCounts {
  /** Verified copies it holds. */
  stored: number;
  /** Rows of any state: what a drain still has to move. */
  total: number;
  /** Healing copies on their way to it. */
  healing: number;
}

/**
 * The cluster's nodes as the metadata records them: who joined by heartbeat, when each was last
 * heard from, what the operators asked (drains). Node states are derived from these records by
 * cluster/membership.ts; the store keeps only the facts and the state last derived. Shared by
 * every ingest instance on the database, like MetadataStore, and held to
 * test/integration/membership-store-contract.ts.
 */
export interface MembershipStore {
  /**
   * Records a heartbeat: the node joins if it is new; its worker is seen at `atMs`. A removed
   * node stays removed while only the workers it had then speak; a new worker process (the node
   * restarted on purpose) brings it back. False when the heartbeat was ignored so.
   */
  recordHeartbeat(beat: HeartbeatRecord): Promise<boolean>;
  /** Adds nodes expected before their first heartbeat; known nodes are left as they are. */
  expectNodes(ids: readonly string[]): Promise<void>;
  /** Every known node, ordered by id. */
  listNodes(): Promise<NodeRecord[]>;
  /** Replica counts per node, for the nodes that have rows. */
  countReplicasByNode(): Promise<Map<string, NodeReplicaCounts>>;
  /** Records the state the membership derived for a node (its transitions are what changed). */
  setNodeState(id: string, state: string): Promise<void>;
  /**
   * Starts or stops a node's drain; starting records its current row count as the drain's
   * total. False when the node is unknown.
   */
  setDraining(id: string, draining: boolean): Promise<boolean>;
  /** Forgets a node and every replica row on it (see recordHeartbeat for its comeback). */
  removeNode(id: string): Promise<void>;

  /**
   * Takes or renews the lease `name` for `holder` until `untilMs`, if it is free, expired at
   * `nowMs`, or already the holder's: one process at a time runs the work it guards.
   */
  tryLease(name: string, holder: string, nowMs: number, untilMs: number): Promise<boolean>;
}
