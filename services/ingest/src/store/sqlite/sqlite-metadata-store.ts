import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { AppError } from '../../../../../shared/src/errors.ts';
import type {
  Completion,
  DueCommand,
  FilePage,
  FileStatus,
  InstanceRecord,
  MetadataStats,
  MetadataStore,
  NewFile,
  NodeReplica,
  PlacementNeed,
  Schedule,
  StoredOutcome,
  StoredReport,
} from '../metadata-store.ts';
import { byFile, type FileRow, type ReplicaRow, toFileRecord, toStatus } from '../rows.ts';
import { METADATA_MIGRATIONS, migrate } from './migrations.ts';
import { openSqliteDatabase } from './sqlite-database.ts';

const FILE_COLUMNS = 'seq, id, name, size, sha256, created_at, content_type, origin, target';
const FILE_COLUMNS_OF_F = FILE_COLUMNS.split(', ')
  .map((column) => `f.${column}`)
  .join(', ');
const REPLICA_COLUMNS = 'file_id, node, state, sha256, size, stored_at, reason, healing, displaced';
/** A replica that counts toward its file's target: not displaced, on a node not excluded (json array `@excluded`). */
const LIVE = 'r.displaced = 0 AND r.node NOT IN (SELECT value FROM json_each(@excluded))';
const VERIFIED = "r.state = 'stored' AND r.sha256 = f.sha256";

/**
 * MetadataStore on SQLite (better-sqlite3, WAL): the embedded default, one ingest process per
 * database. better-sqlite3 is synchronous; the port is not, so every method answers through a
 * promise. The commits behind a 201 or 204 are fsynced (see `durably`); the rest are not.
 */
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly changes = new EventEmitter();
  private readonly statements;

  private readonly ownsDatabase: boolean;

  /** On a database path (opened, and closed by `close`), or on a connection shared with other components. */
  constructor(database: string | Database.Database) {
    this.ownsDatabase = typeof database === 'string';
    this.db = typeof database === 'string' ? openSqliteDatabase(database) : database;
    migrate(this.db, 'metadata', METADATA_MIGRATIONS);
    this.changes.setMaxListeners(0);
    this.statements = {
      insertFile: this.db.prepare(
        'INSERT INTO files (id, name, size, sha256, created_at, content_type, origin, target) VALUES (@id, @name, @size, @sha256, @createdAt, @contentType, @origin, @target)',
      ),
      insertReplica: this.db.prepare(
        "INSERT INTO replicas (file_id, node, state, due_at, healing) VALUES (?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
      ),
      file: this.db.prepare<[string], FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE id = ? AND deleted_at IS NULL`,
      ),
      replicasOf: this.db.prepare<[string], ReplicaRow>(
        `SELECT ${REPLICA_COLUMNS} FROM replicas WHERE file_id = ? ORDER BY node`,
      ),
      // The replicas of a whole page in one query (json_each over the page's ids).
      replicasOfMany: this.db.prepare<[string], ReplicaRow>(
        `SELECT ${REPLICA_COLUMNS} FROM replicas WHERE file_id IN (SELECT value FROM json_each(?)) ORDER BY file_id, node`,
      ),
      page: this.db.prepare<[number, number], FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE deleted_at IS NULL AND seq < ? ORDER BY seq DESC LIMIT ?`,
      ),
      countFiles: this.db.prepare<[], { n: number }>(
        'SELECT count(*) AS n FROM files WHERE deleted_at IS NULL',
      ),
      countByState: this.db.prepare<[], { state: string; n: number }>(
        'SELECT state, count(*) AS n FROM replicas GROUP BY state',
      ),
      countShort: this.db.prepare<{ excluded: string }, { n: number }>(
        `SELECT count(*) AS n FROM files f WHERE f.deleted_at IS NULL AND f.target >
           (SELECT count(*) FROM replicas r WHERE r.file_id = f.id AND ${LIVE} AND ${VERIFIED})`,
      ),
      oldestPending: this.db.prepare<[], { at: string | null }>(
        "SELECT min(f.created_at) AS at FROM replicas r JOIN files f ON f.id = r.file_id WHERE r.state = 'pending'",
      ),
      countDue: this.db.prepare<[number], { n: number }>(
        "SELECT count(*) AS n FROM replicas WHERE state IN ('pending', 'deleting', 'failed') AND due_at <= ?",
      ),
      replica: this.db.prepare<[string, string], { state: string; sha256: string | null }>(
        'SELECT state, sha256 FROM replicas WHERE file_id = ? AND node = ?',
      ),
      flags: this.db.prepare<[string], { completed: number; degraded: number }>(
        'SELECT completed, degraded FROM files WHERE id = ? AND deleted_at IS NULL',
      ),
      setCompleted: this.db.prepare(
        'UPDATE files SET completed = 1, degraded = 0 WHERE id = ? AND completed = ? AND degraded = ?',
      ),
      setDegraded: this.db.prepare(
        'UPDATE files SET degraded = 1 WHERE id = ? AND completed = 1 AND degraded = 0 AND deleted_at IS NULL',
      ),
      markStored: this.db.prepare(
        "UPDATE replicas SET state = 'stored', sha256 = @sha256, size = @size, stored_at = @storedAt, reason = NULL WHERE file_id = @fileId AND node = @node AND state IN ('pending', 'failed', 'stored')",
      ),
      markMismatch: this.db.prepare(
        "UPDATE replicas SET state = 'pending', sha256 = @sha256, size = @size, reason = 'reported SHA-256 differs from the file', due_at = 0, attempts = 0 WHERE file_id = @fileId AND node = @node AND state IN ('pending', 'failed', 'stored')",
      ),
      markFailed: this.db.prepare(
        "UPDATE replicas SET state = 'failed', reason = ?, due_at = ? WHERE file_id = ? AND node = ? AND state = 'pending'",
      ),
      markLost: this.db.prepare(
        "UPDATE replicas SET state = 'pending', sha256 = NULL, size = NULL, stored_at = NULL, reason = ?, due_at = 0, attempts = 0 WHERE file_id = ? AND node = ? AND state IN ('stored', 'failed', 'pending')",
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
        "UPDATE replicas SET state = 'deleting', due_at = ?, attempts = 0 WHERE file_id = ?",
      ),
      due: this.db.prepare<[number, number], ReplicaRow & FileRow & { attempts: number }>(
        `SELECT r.file_id, r.node, r.state, r.attempts, ${FILE_COLUMNS_OF_F}
         FROM replicas r JOIN files f ON f.id = r.file_id
         WHERE r.state IN ('pending', 'deleting', 'failed') AND r.due_at <= ?
         ORDER BY r.due_at LIMIT ?`,
      ),
      setDue: this.db.prepare(
        "UPDATE replicas SET due_at = ?, attempts = attempts + ? WHERE file_id = ? AND node = ? AND state IN ('pending', 'failed', 'deleting')",
      ),
      dropUnsettledOn: this.db.prepare(
        "DELETE FROM replicas WHERE node = ? AND state IN ('pending', 'failed')",
      ),
      displaceStoredOn: this.db.prepare(
        "UPDATE replicas SET displaced = 1 WHERE node = ? AND state = 'stored' AND displaced = 0",
      ),
      restoreStoredOn: this.db.prepare(
        "UPDATE replicas SET displaced = 0 WHERE node = ? AND state = 'stored' AND displaced = 1",
      ),
      restoreOne: this.db.prepare(
        "UPDATE replicas SET displaced = 0 WHERE file_id = ? AND node = ? AND state = 'stored' AND displaced = 1",
      ),
      underReplicated: this.db.prepare<
        { excluded: string; limit: number },
        FileRow & { live: number; verified: number; holders: string | null; displaced: string | null }
      >(
        `SELECT * FROM (
           SELECT ${FILE_COLUMNS_OF_F},
             (SELECT count(*) FROM replicas r WHERE r.file_id = f.id AND ${LIVE} AND r.state IN ('stored', 'pending', 'failed')) AS live,
             (SELECT count(*) FROM replicas r WHERE r.file_id = f.id AND ${LIVE} AND ${VERIFIED}) AS verified,
             (SELECT group_concat(r.node) FROM replicas r WHERE r.file_id = f.id) AS holders,
             (SELECT group_concat(r.node) FROM replicas r WHERE r.file_id = f.id AND r.displaced = 1 AND ${VERIFIED}) AS displaced
           FROM files f WHERE f.deleted_at IS NULL)
         WHERE live < target ORDER BY verified, seq LIMIT @limit`,
      ),
      trimmable: this.db.prepare<
        { excluded: string; limit: number },
        ReplicaRow & FileRow & { attempts: number }
      >(
        `SELECT r.file_id, r.node, r.state, r.attempts, ${FILE_COLUMNS_OF_F}
         FROM replicas r JOIN files f ON f.id = r.file_id
         WHERE r.displaced = 1 AND r.state = 'stored' AND f.deleted_at IS NULL
           AND r.node NOT IN (SELECT value FROM json_each(@excluded))
           AND (SELECT count(*) FROM replicas o WHERE o.file_id = r.file_id AND o.displaced = 0
                  AND o.state = 'stored' AND o.sha256 = f.sha256
                  AND o.node NOT IN (SELECT value FROM json_each(@excluded))) >= f.target
         LIMIT @limit`,
      ),
      markTrimmed: this.db.prepare(
        "UPDATE replicas SET state = 'deleting', due_at = ?, attempts = 0 WHERE file_id = ? AND node = ? AND state = 'stored'",
      ),
      atRisk: this.db.prepare<{ node: string; excluded: string }, { n: number }>(
        `SELECT count(*) AS n FROM replicas r JOIN files f ON f.id = r.file_id
         WHERE r.node = @node AND f.deleted_at IS NULL
           AND (SELECT count(*) FROM replicas o WHERE o.file_id = r.file_id AND o.node != @node
                  AND o.displaced = 0 AND o.state = 'stored' AND o.sha256 = f.sha256
                  AND o.node NOT IN (SELECT value FROM json_each(@excluded))) < f.target`,
      ),
      replicasOn: this.db.prepare<{ node: string; fromId: string; untilId: string | null }, NodeReplica>(
        `SELECT file_id AS fileId, state, sha256, stored_at AS storedAt FROM replicas
         WHERE node = @node AND file_id >= @fromId AND (@untilId IS NULL OR file_id < @untilId) ORDER BY file_id`,
      ),
      announce: this.db.prepare(
        'INSERT INTO instances (id, url, last_seen_ms) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url, last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)',
      ),
      instances: this.db.prepare<[], { id: string; url: string; last_seen_ms: number }>(
        'SELECT id, url, last_seen_ms FROM instances ORDER BY id',
      ),
    };
  }

  async addFiles(entries: readonly NewFile[], commandsDueAtMs: number): Promise<void> {
    this.durably(() => {
      for (const { file, nodes, target } of entries) {
        this.statements.insertFile.run({
          ...file,
          contentType: file.contentType ?? null,
          origin: file.origin ?? null,
          target,
        });
        for (const node of nodes) this.statements.insertReplica.run(file.id, node, commandsDueAtMs, 0);
      }
    });
    for (const { file } of entries) this.changed(file.id);
  }

  async getFile(id: string): Promise<FileStatus | undefined> {
    const row = this.statements.file.get(id);
    return row ? toStatus(row, this.statements.replicasOf.all(id)) : undefined;
  }

  async listFiles(limit: number, cursor?: string): Promise<FilePage> {
    const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
    const rows = this.statements.page.all(Number.isSafeInteger(before) ? before : 0, limit + 1);
    const page = rows.slice(0, limit);
    const replicas = byFile(this.statements.replicasOfMany.all(JSON.stringify(page.map((row) => row.id))));
    const last = page.at(-1);
    return {
      files: page.map((row) => toStatus(row, replicas.get(row.id) ?? [])),
      next: rows.length > limit && last ? String(last.seq) : null,
    };
  }

  async recordStored(reports: readonly StoredReport[]): Promise<StoredOutcome[]> {
    const outcomes = this.db.transaction(() => reports.map((report) => this.recordOneStored(report)))();
    for (const [i, report] of reports.entries()) if (outcomes[i] !== 'ignored') this.changed(report.fileId);
    return outcomes;
  }

  private recordOneStored(report: StoredReport): StoredOutcome {
    const file = this.statements.file.get(report.fileId);
    if (!file) return 'ignored';
    const before = this.statements.replica.get(report.fileId, report.node);
    const matches = report.sha256 === file.sha256 && report.size === file.size;
    const result = (matches ? this.statements.markStored : this.statements.markMismatch).run(report);
    if (result.changes === 0) return 'ignored';
    if (!matches) return 'mismatch';
    return before?.state === 'stored' && before.sha256 === report.sha256 ? 'unchanged' : 'stored';
  }

  async recordFailed(fileId: string, node: string, reason: string, retryAtMs: number): Promise<boolean> {
    const changed = this.statements.markFailed.run(reason, retryAtMs, fileId, node).changes > 0;
    if (changed) this.changed(fileId);
    return changed;
  }

  async recordLost(fileId: string, node: string, reason: string): Promise<boolean> {
    const changed = this.statements.markLost.run(reason, fileId, node).changes > 0;
    if (changed) this.changed(fileId);
    return changed;
  }

  async recordDeleted(fileId: string, node: string): Promise<boolean> {
    return this.db.transaction(() => {
      const deleted = this.statements.deleteReplica.run(fileId, node).changes > 0;
      if ((this.statements.remainingReplicas.get(fileId)?.n ?? 0) === 0) {
        this.statements.deleteFileIfDeleted.run(fileId);
      }
      return deleted;
    })();
  }

  async markCompleted(fileId: string): Promise<Completion | undefined> {
    return this.db.transaction(() => {
      const flags = this.statements.flags.get(fileId);
      if (!flags || (flags.completed === 1 && flags.degraded === 0)) return undefined;
      if (this.statements.setCompleted.run(fileId, flags.completed, flags.degraded).changes === 0)
        return undefined;
      return flags.completed === 0 ? 'completed' : 'healed';
    })();
  }

  async markDegraded(fileId: string): Promise<boolean> {
    return this.statements.setDegraded.run(fileId).changes > 0;
  }

  async markDeleting(id: string, commandsDueAtMs: number): Promise<string[] | undefined> {
    const nodes = this.durably(() => {
      if (this.statements.markFileDeleted.run(new Date().toISOString(), id).changes === 0) return undefined;
      this.statements.markReplicasDeleting.run(commandsDueAtMs, id);
      const held = this.statements.replicasOf.all(id).map((r) => r.node);
      if (held.length === 0) this.statements.deleteFileIfDeleted.run(id);
      return held;
    });
    if (nodes) this.changed(id);
    return nodes;
  }

  async claimDue(nowMs: number, limit: number, leaseUntilMs: number): Promise<DueCommand[]> {
    return this.db.transaction(() => {
      const rows = this.statements.due.all(nowMs, limit);
      for (const row of rows) this.statements.setDue.run(leaseUntilMs, 0, row.file_id, row.node);
      return rows.map(
        (row): DueCommand => ({
          kind: row.state === 'deleting' ? 'delete' : 'replicate',
          node: row.node,
          // The query takes only these three states.
          state: row.state as DueCommand['state'],
          attempts: row.attempts,
          file: toFileRecord(row),
        }),
      );
    })();
  }

  async schedule(node: string, schedules: readonly Schedule[], published: boolean): Promise<void> {
    this.db.transaction(() => {
      for (const { fileId, dueAtMs } of schedules) {
        this.statements.setDue.run(dueAtMs, published ? 1 : 0, fileId, node);
      }
    })();
  }

  async displaceReplicas(node: string): Promise<number> {
    const changed = this.db.transaction(
      () =>
        this.statements.dropUnsettledOn.run(node).changes +
        this.statements.displaceStoredOn.run(node).changes,
    )();
    return changed;
  }

  async restoreReplicas(node: string): Promise<number> {
    return this.statements.restoreStoredOn.run(node).changes;
  }

  async restoreReplica(fileId: string, node: string): Promise<boolean> {
    const restored = this.statements.restoreOne.run(fileId, node).changes > 0;
    if (restored) this.changed(fileId);
    return restored;
  }

  async underReplicated(excluded: readonly string[], limit: number): Promise<PlacementNeed[]> {
    return this.statements.underReplicated.all({ excluded: JSON.stringify(excluded), limit }).map((row) => ({
      file: toFileRecord(row),
      target: row.target,
      holders: row.holders ? row.holders.split(',') : [],
      live: row.live,
      verified: row.verified,
      displaced: row.displaced ? row.displaced.split(',') : [],
    }));
  }

  async addReplicas(fileId: string, nodes: readonly string[], dueAtMs: number): Promise<void> {
    this.db.transaction(() => {
      for (const node of nodes) this.statements.insertReplica.run(fileId, node, dueAtMs, 1);
    })();
    this.changed(fileId);
  }

  async trimDisplaced(
    excluded: readonly string[],
    limit: number,
    leaseUntilMs: number,
  ): Promise<DueCommand[]> {
    const trimmed = this.db.transaction(() => {
      const rows = this.statements.trimmable.all({ excluded: JSON.stringify(excluded), limit });
      for (const row of rows) this.statements.markTrimmed.run(leaseUntilMs, row.file_id, row.node);
      return rows.map(
        (row): DueCommand => ({
          kind: 'delete',
          node: row.node,
          state: 'deleting',
          attempts: 0,
          file: toFileRecord(row),
        }),
      );
    })();
    for (const command of trimmed) this.changed(command.file.id);
    return trimmed;
  }

  async countAtRisk(node: string, excluded: readonly string[]): Promise<number> {
    return this.statements.atRisk.get({ node, excluded: JSON.stringify(excluded) })?.n ?? 0;
  }

  async replicasOn(node: string, fromId: string, untilId: string | null): Promise<NodeReplica[]> {
    return this.statements.replicasOn.all({ node, fromId, untilId });
  }

  async announceInstance(id: string, url: string, nowMs: number): Promise<void> {
    this.statements.announce.run(id, url, nowMs);
  }

  async listInstances(): Promise<InstanceRecord[]> {
    return this.statements.instances
      .all()
      .map((row) => ({ id: row.id, url: row.url, lastSeenMs: row.last_seen_ms }));
  }

  async stats(nowMs: number, excluded: readonly string[]): Promise<MetadataStats> {
    const s = this.statements;
    return {
      files: s.countFiles.get()?.n ?? 0,
      replicas: Object.fromEntries(s.countByState.all().map((row) => [row.state, row.n])),
      underReplicated: s.countShort.get({ excluded: JSON.stringify(excluded) })?.n ?? 0,
      oldestPendingSince: s.oldestPending.get()?.at ?? null,
      due: s.countDue.get(nowMs)?.n ?? 0,
    };
  }

  onChange(listener: (fileId: string) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  async close(): Promise<void> {
    if (this.ownsDatabase) this.db.close();
  }

  private changed(fileId: string): void {
    this.changes.emit('change', fileId);
  }

  /**
   * Runs a transaction whose commit is fsynced before it returns: the ones behind a 201 or a
   * 204. Every other write (due times, replica receipts) commits without an fsync, which
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
