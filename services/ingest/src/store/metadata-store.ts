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
}

export interface FileRecord {
  id: string;
  name: string;
  size: number;
  sha256: string;
  createdAt: string;
  /** The media type declared at upload (normalized), when there was a valid one. */
  contentType?: string | undefined;
}

export interface FileStatus extends FileRecord {
  /** Nodes holding a copy whose reported SHA-256 equals the file's. */
  replicas: number;
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

/** What the outbox must (re)send: a copy still pending, or a delete not yet confirmed. */
export interface DueCommand {
  kind: 'replicate' | 'delete';
  file: FileRecord;
  node: string;
}

/**
 * When the outbox sends a command again. A command unanswered after `republishAfterMs` is sent
 * again, then after twice that, and so on up to `republishMaxMs`, so a long backlog (a node
 * down for hours) does not fill its queue with copies of the same command. A replica that
 * failed is tried again after `retryFailedAfterMs`.
 */
export interface OutboxPolicy {
  republishAfterMs: number;
  republishMaxMs: number;
  retryFailedAfterMs: number;
}

/** Outcome of a stored report: counted, refused for a wrong hash, or about nothing we track. */
export type StoredOutcome = 'stored' | 'mismatch' | 'ignored';

/**
 * The source of truth for files and their replicas. The replica rows double as the outbox:
 * `dueCommands` lists what still needs a message, whatever happened to earlier messages.
 */
export interface MetadataStore {
  addFile(file: FileRecord, nodes: string[]): void;
  /** Adds several files in one transaction, durable when it returns; all or none. */
  addFiles(entries: readonly { file: FileRecord; nodes: readonly string[] }[]): void;
  getFile(id: string): FileStatus | undefined;
  /** Newest first; `cursor` is the `next` of the previous page. */
  listFiles(limit: number, cursor?: string): { files: FileStatus[]; next: string | null };
  recordStored(report: StoredReport): StoredOutcome;
  /** `recordStored` for each report, in one transaction; outcomes in the reports' order. */
  recordStoredMany(reports: readonly StoredReport[]): StoredOutcome[];
  recordFailed(fileId: string, node: string, reason: string): boolean;
  /** A node lost its copy: the replica is owed again (pending, due at once). False if untracked. */
  recordLost(fileId: string, node: string, reason: string): boolean;
  /** A node dropped its copy: forget the replica, and the file once no copy is left to delete. */
  recordDeleted(fileId: string, node: string): void;
  /** Marks a file deleted; returns the nodes that must drop their copies, or undefined if unknown. */
  markDeleting(id: string): string[] | undefined;
  /** Commands due at `nowMs` under the policy, least recently published first. */
  dueCommands(nowMs: number, limit: number, policy: OutboxPolicy): DueCommand[];
  /** Records that a command about these files went to `node` at `atMs`, in one transaction. */
  markPublished(fileIds: readonly string[], node: string, atMs: number): void;
  close(): void;
}
