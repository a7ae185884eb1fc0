/** A replica's state as ingest records it. `deleting` means a DeleteFile is on its way to the node. */
export type ReplicaState = 'pending' | 'stored' | 'failed' | 'deleting';

/** One node's receipt for a file. */
export interface ReplicaReceipt {
  node: string;
  state: ReplicaState;
  sha256?: string;
  size?: number;
  storedAt?: string;
  reason?: string;
  /** A copy added to restore the file's replica count (its node was chosen by the healer). */
  healing?: true;
  /**
   * A copy that no longer counts toward the file's placement: its node went down or is being
   * drained, and the file is placed elsewhere. It is deleted once enough others are verified.
   */
  displaced?: true;
  /** Its node is down: the copy does not count (set by the cluster's view, not the store). */
  nodeDown?: true;
}

export interface FileRecord {
  id: string;
  name: string;
  size: number;
  sha256: string;
  createdAt: string;
  /** The media type declared at upload (normalized), when there was a valid one. */
  contentType?: string | undefined;
  /**
   * Id of the ingest instance whose data directory holds the main copy (see instance-id.ts);
   * undefined for files recorded before instances were told apart.
   */
  origin?: string | undefined;
}

export interface FileStatus extends FileRecord {
  /** Nodes holding a copy whose reported SHA-256 equals the file's (whatever the nodes' states). */
  replicas: number;
  /** Replicas wanted (R). */
  target: number;
  nodes: ReplicaReceipt[];
}

export interface StoredReport {
  fileId: string;
  node: string;
  sha256: string;
  size: number;
  storedAt: string;
}

/** A file to record, with the nodes it is placed on (one pending replica row each). */
export interface NewFile {
  file: FileRecord;
  nodes: readonly string[];
  /** Replicas wanted; more than `nodes` when fewer nodes were available (placed later). */
  target: number;
}

/**
 * A command the outbox must (re)send: a copy still pending or failed, or a delete not yet
 * confirmed. `state` and `attempts` (publishes so far) let the outbox policy choose when the
 * command is due next.
 */
export interface DueCommand {
  kind: 'replicate' | 'delete';
  file: FileRecord;
  node: string;
  state: 'pending' | 'failed' | 'deleting';
  attempts: number;
}

/** When the command about one file to a node is due next. */
export interface Schedule {
  fileId: string;
  dueAtMs: number;
}

/**
 * Outcome of a stored report: newly counted, a repeat of a copy already counted (`unchanged`),
 * refused for a wrong hash, or about nothing we track.
 */
export type StoredOutcome = 'stored' | 'unchanged' | 'mismatch' | 'ignored';

/** A file reaching its target: for the first time, or again after it was degraded. */
export type Completion = 'completed' | 'healed';

/** A file with fewer live replicas than it wants. */
export interface PlacementNeed {
  file: FileRecord;
  target: number;
  /** Nodes with a row for the file, whatever its state: never chosen again. */
  holders: string[];
  /** Rows that count toward the target: not displaced, on a node not excluded. */
  live: number;
  /** Of those, verified copies. */
  verified: number;
  /** Nodes holding a verified copy that is displaced: it can count again if no other node can be found. */
  displaced: string[];
}

/** A copy a node holds by the metadata's account, for comparison with the node's inventory. */
export interface NodeReplica {
  fileId: string;
  state: ReplicaState;
  sha256: string | null;
  storedAt: string | null;
}

/** An ingest instance as the others see it in the registry of instances. */
export interface InstanceRecord {
  /** Its instance id (instance-id.ts), what files name as their `origin`. */
  id: string;
  /** Its DFR_PUBLIC_URL: where the others fetch the main copies it holds. */
  url: string;
  /** When it last announced itself, in ms since the epoch. */
  lastSeenMs: number;
}

/** The metadata's figures for /metrics. */
export interface MetadataStats {
  /** Files not deleted. */
  files: number;
  /** Replica rows by state (pending, stored, failed, deleting). */
  replicas: Record<string, number>;
  /** Files with fewer verified, live copies than their target (copies on excluded nodes not counted). */
  underReplicated: number;
  /** When the file of the oldest pending replica was created; null when none is pending. */
  oldestPendingSince: string | null;
  /** Commands due now. */
  due: number;
}

export interface FilePage {
  files: FileStatus[];
  /** The cursor of the next page, or null on the last. */
  next: string | null;
}

/**
 * The source of truth for files and their replicas; ingest's one port to its database. Adapters:
 * SQLite (store/sqlite, embedded) and PostgreSQL (shared by several ingest instances); both pass
 * test/integration/metadata-store-contract.ts.
 *
 * The replica rows double as the outbox: each has the time its command is due next, and
 * `claimDue` hands out what is due, whatever happened to earlier messages. When a command is due
 * is the outbox policy's choice (replication/outbox-policy.ts); the store only keeps the times.
 * Every write that changes what a file's status shows is announced to `onChange` listeners,
 * in every process sharing the database.
 */
export interface MetadataStore {
  /**
   * Records files and their pending replica rows in one transaction, durable (fsynced) when it
   * resolves; all or none. Their commands are first due at `commandsDueAtMs`.
   */
  addFiles(entries: readonly NewFile[], commandsDueAtMs: number): Promise<void>;
  getFile(id: string): Promise<FileStatus | undefined>;
  /** Newest first; `cursor` is the `next` of the previous page. */
  listFiles(limit: number, cursor?: string): Promise<FilePage>;
  /**
   * Counts each copy whose SHA-256 and size match the file's; a mismatch makes the replica
   * pending again and due at once. One transaction; outcomes in the reports' order.
   */
  recordStored(reports: readonly StoredReport[]): Promise<StoredOutcome[]>;
  /** A node gave up on a pending copy; it is asked again at `retryAtMs`. False if untracked. */
  recordFailed(fileId: string, node: string, reason: string, retryAtMs: number): Promise<boolean>;
  /** A node lost its copy: the replica is owed again (pending, due at once). False if untracked. */
  recordLost(fileId: string, node: string, reason: string): Promise<boolean>;
  /**
   * A node dropped its copy: forget the replica, and the file once no copy is left to delete.
   * False when no delete was owed there.
   */
  recordDeleted(fileId: string, node: string): Promise<boolean>;
  /**
   * Marks a file as having reached its target; says whether that is news (the first time, or
   * again after `markDegraded`), atomically, so of several instances only one hears it.
   */
  markCompleted(fileId: string): Promise<Completion | undefined>;
  /** Marks a completed file as below its target again; false when it already was, or never completed. */
  markDegraded(fileId: string): Promise<boolean>;
  /**
   * Marks a file deleted, durably, and its replicas `deleting` with their deletes due at
   * `commandsDueAtMs`; returns the nodes that must drop their copies, or undefined if unknown.
   */
  markDeleting(id: string, commandsDueAtMs: number): Promise<string[] | undefined>;
  /**
   * Takes up to `limit` commands due at `nowMs`, earliest first, and moves each one's due time
   * to `leaseUntilMs`, atomically: two callers (two ingest instances) never take the same command
   * at once, and one that dies holding a lease only delays it.
   */
  claimDue(nowMs: number, limit: number, leaseUntilMs: number): Promise<DueCommand[]>;
  /**
   * Sets when the commands about these files to `node` are due next; `published` counts one
   * more attempt for each (a command that could not be sent is rescheduled without counting).
   */
  schedule(node: string, schedules: readonly Schedule[], published: boolean): Promise<void>;
  /**
   * Records that ingest instance `id` is alive and reachable at `url` as of `nowMs` (a later
   * announcement wins; an earlier one never moves `lastSeenMs` back).
   */
  announceInstance(id: string, url: string, nowMs: number): Promise<void>;
  /** Every instance that ever announced itself on this database, by id. */
  listInstances(): Promise<InstanceRecord[]>;
  /** The figures of /metrics at `nowMs`, copies on `excluded` (down) nodes not counted. */
  stats(nowMs: number, excluded: readonly string[]): Promise<MetadataStats>;
  /** Calls `listener` with the file's id after every change to what its status shows. */
  onChange(listener: (fileId: string) => void): () => void;

  // Healing: re-placing replicas when nodes come and go.

  /**
   * Marks the replicas on a node displaced (its node is down or draining): its verified copies
   * stay until `trimDisplaced` finds enough others, its pending or failed rows are dropped.
   * Returns how many rows changed.
   */
  displaceReplicas(node: string): Promise<number>;
  /** Undoes `displaceReplicas` for the verified copies still on a node (a drain cancelled). */
  restoreReplicas(node: string): Promise<number>;
  /** Undoes `displaceReplicas` for one file's copy on a node; false when there is none to restore. */
  restoreReplica(fileId: string, node: string): Promise<boolean>;
  /**
   * Files whose live rows (not displaced, not on an `excluded` node, stored/pending/failed) are
   * fewer than their target; fewest verified copies first, then oldest.
   */
  underReplicated(excluded: readonly string[], limit: number): Promise<PlacementNeed[]>;
  /** Adds healing rows (pending) for a file on these nodes, due at `dueAtMs`; existing rows stay. */
  addReplicas(fileId: string, nodes: readonly string[], dueAtMs: number): Promise<void>;
  /**
   * Turns displaced copies on nodes not `excluded` into deletes, for files that have at least
   * their target of verified, live copies without them; returns the deletes to send (already
   * leased until `leaseUntilMs`).
   */
  trimDisplaced(excluded: readonly string[], limit: number, leaseUntilMs: number): Promise<DueCommand[]>;
  /** Files with a row on `node` that would have fewer than their target of verified copies without it. */
  countAtRisk(node: string, excluded: readonly string[]): Promise<number>;
  /** The rows on `node` for file ids from `fromId` (inclusive) up to `untilId` (exclusive; null: all), by id. */
  replicasOn(node: string, fromId: string, untilId: string | null): Promise<NodeReplica[]>;

  close(): Promise<void>;
}
