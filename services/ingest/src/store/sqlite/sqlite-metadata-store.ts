import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../../shared/src/errors.ts';
import type {
  DueCommand,
  FileRecord,
  FileStatus,
  MetadataStore,
  OutboxPolicy,
  ReplicaReceipt,
  ReplicaState,
  StoredOutcome,
  StoredReport,
} from './metadata-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS replicas (
  file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  node TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'stored', 'failed', 'deleting')),
  sha256 TEXT,
  size INTEGER,
  stored_at TEXT,
  reason TEXT,
  published_at INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (file_id, node)
) WITHOUT ROWID;
`;

/** Created after the columns a migration may add. */
const INDEXES = `
DROP INDEX IF EXISTS replicas_outbox;
CREATE INDEX IF NOT EXISTS replicas_due ON replicas (published_at) WHERE state IN ('pending', 'deleting', 'failed');
`;

/** Adds a column to a table of a database created before the column existed. */
function addColumnIfMissing(db: Database.Database, table: string, column: string, definition: string): void {
  const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
  if (!columns.some((c) => c.name === column))
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

/** Adds `files.content_type` to a database created before it existed; a no-op once it is there. */
function migrateContentType(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('files')").all();
  if (!columns.some((column) => column.name === 'content_type')) {
    db.exec('ALTER TABLE files ADD COLUMN content_type TEXT');
  }
}

interface FileRow {
  seq: number;
  id: string;
  name: string;
  size: number;
  sha256: string;
  created_at: string;
  content_type: string | null;
}

interface DueParams {
  now: number;
  limit: number;
  baseMs: number;
  maxMs: number;
  failedMs: number;
}

interface ReplicaRow {
  file_id: string;
  node: string;
  state: ReplicaState;
  sha256: string | null;
  size: number | null;
  stored_at: string | null;
  reason: string | null;
}

/**
 * MetadataStore on SQLite (better-sqlite3, WAL). The commits behind a 201 or 204 are fsynced
 * (see `durably`); the rest are not. One writer process: the ingest service.
 */
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    migrateContentType(this.db);
    addColumnIfMissing(this.db, 'replicas', 'attempts', 'INTEGER NOT NULL DEFAULT 0');
    this.db.exec(INDEXES);
    this.statements = {
      insertFile: this.db.prepare(
        'INSERT INTO files (id, name, size, sha256, created_at, content_type) VALUES (@id, @name, @size, @sha256, @createdAt, @contentType)',
      ),
      insertReplica: this.db.prepare("INSERT INTO replicas (file_id, node, state) VALUES (?, ?, 'pending')"),
      file: this.db.prepare<[string], FileRow>(
        'SELECT seq, id, name, size, sha256, created_at, content_type FROM files WHERE id = ? AND deleted_at IS NULL',
      ),
      replicasOf: this.db.prepare<[string], ReplicaRow>(
        'SELECT * FROM replicas WHERE file_id = ? ORDER BY node',
      ),
      // The replicas of a whole page in one query (json_each over the page's ids).
      replicasOfMany: this.db.prepare<[string], ReplicaRow>(
        'SELECT * FROM replicas WHERE file_id IN (SELECT value FROM json_each(?)) ORDER BY file_id, node',
      ),
      page: this.db.prepare<[number, number], FileRow>(
        'SELECT seq, id, name, size, sha256, created_at, content_type FROM files WHERE deleted_at IS NULL AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      markStored: this.db.prepare(
        "UPDATE replicas SET state = 'stored', sha256 = @sha256, size = @size, stored_at = @storedAt, reason = NULL WHERE file_id = @fileId AND node = @node AND state IN ('pending', 'failed', 'stored')",
      ),
      markMismatch: this.db.prepare(
        "UPDATE replicas SET state = 'pending', sha256 = @sha256, size = @size, reason = 'reported SHA-256 differs from the file', published_at = 0, attempts = 0 WHERE file_id = @fileId AND node = @node AND state IN ('pending', 'failed', 'stored')",
      ),
      markFailed: this.db.prepare(
        "UPDATE replicas SET state = 'failed', reason = ?, published_at = ? WHERE file_id = ? AND node = ? AND state = 'pending'",
      ),
      markLost: this.db.prepare(
        "UPDATE replicas SET state = 'pending', sha256 = NULL, size = NULL, stored_at = NULL, reason = ?, published_at = 0, attempts = 0 WHERE file_id = ? AND node = ? AND state IN ('stored', 'failed', 'pending')",
      ),
      deleteReplica: this.db.prepare(
        "DELETE FROM replicas WHERE file_id = ? AND node = ? AND state = 'deleting'",
      ),
      remainingReplicas: this.db.prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM replicas WHERE file_id = ?',
      ),
      deleteFileIfDeleted: this.db.prepare('DELETE FROM files WHERE id = ? AND deleted_at IS NOT NULL'),
      markFileDeleted: this.db.prepare('UPDATE files SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL'),
      markReplicasDeleting: this.db.prepare(
        "UPDATE replicas SET state = 'deleting', published_at = 0, attempts = 0 WHERE file_id = ?",
      ),
      due: this.db.prepare<[DueParams], ReplicaRow & FileRow>(
        `SELECT r.file_id, r.node, r.state, f.seq, f.id, f.name, f.size, f.sha256, f.created_at, f.content_type
         FROM replicas r JOIN files f ON f.id = r.file_id
         WHERE (r.state IN ('pending', 'deleting')
                AND r.published_at + min(@maxMs, @baseMs * (1 << max(min(r.attempts, 30) - 1, 0))) <= @now)
            OR (r.state = 'failed' AND r.published_at + @failedMs <= @now)
         ORDER BY r.published_at LIMIT @limit`,
      ),
      markPublished: this.db.prepare(
        'UPDATE replicas SET published_at = ?, attempts = attempts + 1 WHERE file_id = ? AND node = ?',
      ),
    };
  }

  addFile(file: FileRecord, nodes: string[]): void {
    this.addFiles([{ file, nodes }]);
  }

  addFiles(entries: readonly { file: FileRecord; nodes: readonly string[] }[]): void {
    this.durably(() => {
      for (const { file, nodes } of entries) {
        this.statements.insertFile.run({ ...file, contentType: file.contentType ?? null });
        for (const node of nodes) this.statements.insertReplica.run(file.id, node);
      }
    });
  }

  getFile(id: string): FileStatus | undefined {
    const row = this.statements.file.get(id);
    return row ? this.toStatus(row, this.statements.replicasOf.all(id)) : undefined;
  }

  listFiles(limit: number, cursor?: string): { files: FileStatus[]; next: string | null } {
    const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
    const rows = this.statements.page.all(Number.isSafeInteger(before) ? before : 0, limit + 1);
    const page = rows.slice(0, limit);
    const replicas = new Map<string, ReplicaRow[]>();
    for (const replica of this.statements.replicasOfMany.all(JSON.stringify(page.map((row) => row.id)))) {
      const list = replicas.get(replica.file_id) ?? [];
      list.push(replica);
      replicas.set(replica.file_id, list);
    }
    const files = page.map((row) => this.toStatus(row, replicas.get(row.id) ?? []));
    const last = page.at(-1);
    return { files, next: rows.length > limit && last ? String(last.seq) : null };
  }

  recordStored(report: StoredReport): StoredOutcome {
    const file = this.statements.file.get(report.fileId);
    if (!file) return 'ignored';
    const matches = report.sha256 === file.sha256 && report.size === file.size;
    const result = (matches ? this.statements.markStored : this.statements.markMismatch).run(report);
    if (result.changes === 0) return 'ignored';
    return matches ? 'stored' : 'mismatch';
  }

  recordStoredMany(reports: readonly StoredReport[]): StoredOutcome[] {
    return this.db.transaction(() => reports.map((report) => this.recordStored(report)))();
  }

  recordFailed(fileId: string, node: string, reason: string): boolean {
    // The failed-retry clock starts now.
    return this.statements.markFailed.run(reason, Date.now(), fileId, node).changes > 0;
  }

  recordLost(fileId: string, node: string, reason: string): boolean {
    return this.statements.markLost.run(reason, fileId, node).changes > 0;
  }

  recordDeleted(fileId: string, node: string): void {
    this.db.transaction(() => {
      this.statements.deleteReplica.run(fileId, node);
      if ((this.statements.remainingReplicas.get(fileId)?.n ?? 0) === 0) {
        this.statements.deleteFileIfDeleted.run(fileId);
      }
    })();
  }

  markDeleting(id: string): string[] | undefined {
    return this.durably(() => {
      if (this.statements.markFileDeleted.run(new Date().toISOString(), id).changes === 0) return undefined;
      this.statements.markReplicasDeleting.run(id);
      const nodes = this.statements.replicasOf.all(id).map((r) => r.node);
      if (nodes.length === 0) this.statements.deleteFileIfDeleted.run(id);
      return nodes;
    });
  }

  dueCommands(nowMs: number, limit: number, policy: OutboxPolicy): DueCommand[] {
    const params: DueParams = {
      now: nowMs,
      limit,
      baseMs: policy.republishAfterMs,
      maxMs: policy.republishMaxMs,
      failedMs: policy.retryFailedAfterMs,
    };
    return this.statements.due.all(params).map((row) => ({
      kind: row.state === 'deleting' ? 'delete' : 'replicate',
      node: row.node,
      file: toFileRecord(row),
    }));
  }

  markPublished(fileIds: readonly string[], node: string, atMs: number): void {
    this.db.transaction(() => {
      for (const fileId of fileIds) this.statements.markPublished.run(atMs, fileId, node);
    })();
  }

  close(): void {
    this.db.close();
  }

  /**
   * Runs a transaction whose commit is fsynced before it returns: the ones behind a 201 or a
   * 204. Every other write (publish times, replica receipts) commits without an fsync, which
   * survives any process crash and, on a power cut, at worst forgets something the outbox
   * re-sends and the idempotent workers confirm again.
   */
  private durably<T>(work: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return this.db.transaction(work)();
    } catch (err) {
      throw storageError(err);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  private toStatus(row: FileRow, replicas: ReplicaRow[]): FileStatus {
    const nodes = replicas.map(toReceipt);
    return {
      ...toFileRecord(row),
      replicas: nodes.filter((n) => n.state === 'stored' && n.sha256 === row.sha256).length,
      target: replicas.length,
      nodes,
    };
  }
}

function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    sha256: row.sha256,
    createdAt: row.created_at,
    ...(row.content_type !== null ? { contentType: row.content_type } : {}),
  };
}

function toReceipt(row: ReplicaRow): ReplicaReceipt {
  const receipt: ReplicaReceipt = { node: row.node, state: row.state };
  if (row.state === 'stored') {
    if (row.sha256 !== null) receipt.sha256 = row.sha256;
    if (row.size !== null) receipt.size = row.size;
    if (row.stored_at !== null) receipt.storedAt = row.stored_at;
  }
  if (row.reason !== null) receipt.reason = row.reason;
  return receipt;
}

/**
 * A full or read-only disk under the database is the service's condition, not a bug: the
 * request gets 503 and may be tried again (the transaction was rolled back, nothing changed).
 */
function storageError(err: unknown): unknown {
  const code = err instanceof Database.SqliteError ? err.code : undefined;
  if (code === 'SQLITE_FULL' || code === 'SQLITE_READONLY' || code?.startsWith('SQLITE_READONLY_')) {
    return new AppError(
      'STORAGE_UNAVAILABLE',
      'the metadata database cannot be written now (disk full or read-only); nothing was changed',
      { cause: err },
    );
  }
  return err;
}
