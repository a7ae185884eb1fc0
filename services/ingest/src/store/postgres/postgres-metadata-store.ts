import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../../../../shared/src/logger.ts';
import type {
  DueCommand,
  FilePage,
  FileStatus,
  InstanceRecord,
  MetadataStore,
  NewFile,
  Schedule,
  StoredOutcome,
  StoredReport,
} from '../metadata-store.ts';
import { byFile, type FileRow, type ReplicaRow, toFileRecord, toStatus } from '../rows.ts';
import { PG_METADATA_MIGRATIONS } from './migrations.ts';
import type { PgDatabase, Queryable } from './pg-database.ts';

const FILE_COLUMNS = 'f.seq, f.id, f.name, f.size, f.sha256, f.created_at, f.content_type, f.origin';
const REPLICA_COLUMNS = 'r.file_id, r.node, r.state, r.sha256, r.size, r.stored_at, r.reason';
const OWED = "('pending', 'failed', 'deleting')";

/** The NOTIFY channel of metadata changes. */
const CHANGES_CHANNEL = 'dfr_metadata_changes';
/** File ids per NOTIFY: PostgreSQL caps a payload at 8000 bytes; a UUID and a comma take 37. */
const IDS_PER_NOTIFY = 150;

/**
 * MetadataStore on PostgreSQL, shared by every ingest instance given the same database. Every
 * change of several rows is one transaction. `claimDue` takes rows with FOR UPDATE SKIP LOCKED,
 * so instances claiming at once take disjoint commands without waiting for each other.
 *
 * Changes reach listeners in other processes by NOTIFY, sent inside the transaction (so only a
 * commit is announced) as `<sender>|<id>,<id>...`; listeners of this store hear its own changes
 * at once after the commit, and skip the echo of their own NOTIFY by the sender tag.
 */
export class PostgresMetadataStore implements MetadataStore {
  private readonly changes = new EventEmitter();
  /** Tells this store's own notifications from other processes'. */
  private readonly sender = randomUUID();
  private stopListening: (() => void) | undefined;

  private constructor(
    private readonly db: PgDatabase,
    private readonly logger: Logger,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** Migrates the metadata tables and starts hearing other processes' changes. */
  static async open(db: PgDatabase, logger: Logger): Promise<PostgresMetadataStore> {
    await db.migrate('metadata', PG_METADATA_MIGRATIONS);
    const store = new PostgresMetadataStore(db, logger);
    store.stopListening = await db.listen(CHANGES_CHANNEL, (payload) => store.heard(payload));
    return store;
  }

  async addFiles(entries: readonly NewFile[], commandsDueAtMs: number): Promise<void> {
    if (entries.length === 0) return;
    const files = entries.map((e) => e.file);
    const replicas = entries.flatMap(({ file, nodes }) => nodes.map((node) => [file.id, node] as const));
    await this.db.transaction(
      async (client) => {
        await client.query(
          `INSERT INTO files (id, name, size, sha256, created_at, content_type, origin)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])`,
          [
            files.map((f) => f.id),
            files.map((f) => f.name),
            files.map((f) => f.size),
            files.map((f) => f.sha256),
            files.map((f) => f.createdAt),
            files.map((f) => f.contentType ?? null),
            files.map((f) => f.origin ?? null),
          ],
        );
        await client.query(
          `INSERT INTO replicas (file_id, node, state, due_at)
           SELECT file_id, node, 'pending', $3 FROM unnest($1::text[], $2::text[]) AS n(file_id, node)`,
          [replicas.map(([id]) => id), replicas.map(([, node]) => node), commandsDueAtMs],
        );
        await this.notify(
          client,
          files.map((f) => f.id),
        );
      },
      { durable: true },
    );
    this.changed(files.map((f) => f.id));
  }

  async getFile(id: string): Promise<FileStatus | undefined> {
    const { rows } = await this.db.query<FileWithCopyRow>(
      `SELECT ${FILE_COLUMNS}, r.node, r.state, r.sha256 AS copy_sha256, r.size AS copy_size, r.stored_at, r.reason
       FROM files f LEFT JOIN replicas r ON r.file_id = f.id
       WHERE f.id = $1 AND f.deleted_at IS NULL ORDER BY r.node`,
      [id],
    );
    const first = rows[0];
    if (!first) return undefined;
    const replicas = rows
      .flatMap((row) =>
        row.node !== null && row.state !== null ? [{ ...row, node: row.node, state: row.state }] : [],
      )
      .map(
        (row): ReplicaRow => ({
          file_id: row.id,
          node: row.node,
          state: row.state,
          sha256: row.copy_sha256,
          size: row.copy_size,
          stored_at: row.stored_at,
          reason: row.reason,
        }),
      );
    return toStatus(first, replicas);
  }

  async listFiles(limit: number, cursor?: string): Promise<FilePage> {
    const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
    const { rows } = await this.db.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files f WHERE f.deleted_at IS NULL AND f.seq < $1 ORDER BY f.seq DESC LIMIT $2`,
      [Number.isSafeInteger(before) ? before : 0, limit + 1],
    );
    const page = rows.slice(0, limit);
    const replicas =
      page.length === 0
        ? new Map<string, ReplicaRow[]>()
        : byFile(
            (
              await this.db.query<ReplicaRow>(
                `SELECT ${REPLICA_COLUMNS} FROM replicas r WHERE r.file_id = ANY($1::text[]) ORDER BY r.file_id, r.node`,
                [page.map((row) => row.id)],
              )
            ).rows,
          );
    const last = page.at(-1);
    return {
      files: page.map((row) => toStatus(row, replicas.get(row.id) ?? [])),
      next: rows.length > limit && last ? String(last.seq) : null,
    };
  }

  async recordStored(reports: readonly StoredReport[]): Promise<StoredOutcome[]> {
    if (reports.length === 0) return [];
    const outcomes = await this.db.transaction(
      async (client) => {
        // The rows a report may settle, locked, with the file each must match.
        const { rows } = await client.query<{ file_id: string; node: string; sha256: string; size: number }>(
          `SELECT r.file_id, r.node, f.sha256, f.size
           FROM unnest($1::text[], $2::text[]) AS q(file_id, node)
           JOIN replicas r ON r.file_id = q.file_id AND r.node = q.node AND r.state IN ('pending', 'failed', 'stored')
           JOIN files f ON f.id = r.file_id AND f.deleted_at IS NULL
           ORDER BY r.file_id, r.node
           FOR UPDATE OF r`,
          [reports.map((r) => r.fileId), reports.map((r) => r.node)],
        );
        const tracked = new Map(rows.map((row) => [`${row.file_id} ${row.node}`, row]));
        const outcomes = reports.map((report): StoredOutcome => {
          const file = tracked.get(`${report.fileId} ${report.node}`);
          if (!file) return 'ignored';
          return report.sha256 === file.sha256 && report.size === file.size ? 'stored' : 'mismatch';
        });
        // One call per report in order leaves each row as its last report says.
        const last = new Map<string, { report: StoredReport; matches: boolean }>();
        for (const [i, report] of reports.entries()) {
          const outcome = outcomes[i];
          if (outcome === 'ignored') continue;
          last.set(`${report.fileId} ${report.node}`, { report, matches: outcome === 'stored' });
        }
        const settled = [...last.values()];
        if (settled.length > 0) {
          await client.query(
            `UPDATE replicas r SET
               state = CASE WHEN q.matches THEN 'stored' ELSE 'pending' END,
               sha256 = q.sha256,
               size = q.size,
               stored_at = CASE WHEN q.matches THEN q.stored_at ELSE r.stored_at END,
               reason = CASE WHEN q.matches THEN NULL ELSE 'reported SHA-256 differs from the file' END,
               due_at = CASE WHEN q.matches THEN r.due_at ELSE 0 END,
               attempts = CASE WHEN q.matches THEN r.attempts ELSE 0 END
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::boolean[])
               AS q(file_id, node, sha256, size, stored_at, matches)
             WHERE r.file_id = q.file_id AND r.node = q.node`,
            [
              settled.map((s) => s.report.fileId),
              settled.map((s) => s.report.node),
              settled.map((s) => s.report.sha256),
              settled.map((s) => s.report.size),
              settled.map((s) => s.report.storedAt),
              settled.map((s) => s.matches),
            ],
          );
          await this.notify(
            client,
            settled.map((s) => s.report.fileId),
          );
        }
        return outcomes;
      },
      { durable: false },
    );
    this.changed(reports.filter((_, i) => outcomes[i] !== 'ignored').map((r) => r.fileId));
    return outcomes;
  }

  async recordFailed(fileId: string, node: string, reason: string, retryAtMs: number): Promise<boolean> {
    return this.updateOne(
      "UPDATE replicas SET state = 'failed', reason = $3, due_at = $4 WHERE file_id = $1 AND node = $2 AND state = 'pending'",
      [fileId, node, reason, retryAtMs],
    );
  }

  async recordLost(fileId: string, node: string, reason: string): Promise<boolean> {
    return this.updateOne(
      `UPDATE replicas SET state = 'pending', sha256 = NULL, size = NULL, stored_at = NULL, reason = $3, due_at = 0, attempts = 0
       WHERE file_id = $1 AND node = $2 AND state IN ('stored', 'failed', 'pending')`,
      [fileId, node, reason],
    );
  }

  async recordDeleted(fileId: string, node: string): Promise<void> {
    await this.db.transaction(
      async (client) => {
        await client.query("DELETE FROM replicas WHERE file_id = $1 AND node = $2 AND state = 'deleting'", [
          fileId,
          node,
        ]);
        await client.query(
          'DELETE FROM files f WHERE f.id = $1 AND f.deleted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.file_id = f.id)',
          [fileId],
        );
      },
      { durable: false },
    );
  }

  async markDeleting(id: string, commandsDueAtMs: number): Promise<string[] | undefined> {
    const nodes = await this.db.transaction(
      async (client) => {
        const marked = await client.query(
          'UPDATE files SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id',
          [id],
        );
        if (marked.rowCount === 0) return undefined;
        const { rows } = await client.query<{ node: string }>(
          "UPDATE replicas SET state = 'deleting', due_at = $2, attempts = 0 WHERE file_id = $1 RETURNING node",
          [id, commandsDueAtMs],
        );
        if (rows.length === 0) await client.query('DELETE FROM files WHERE id = $1', [id]);
        await this.notify(client, [id]);
        return rows.map((row) => row.node).sort();
      },
      { durable: true },
    );
    if (nodes) this.changed([id]);
    return nodes;
  }

  async claimDue(nowMs: number, limit: number, leaseUntilMs: number): Promise<DueCommand[]> {
    const { rows } = await this.db.transaction(
      (client) =>
        client.query<
          FileRow & { node: string; state: DueCommand['state']; attempts: number; was_due: number }
        >(
          `WITH due AS (
             SELECT file_id, node, due_at FROM replicas
             WHERE state IN ${OWED} AND due_at <= $1
             ORDER BY due_at LIMIT $2
             FOR UPDATE SKIP LOCKED
           ), claimed AS (
             UPDATE replicas r SET due_at = $3 FROM due
             WHERE r.file_id = due.file_id AND r.node = due.node
             RETURNING r.file_id, r.node, r.state, r.attempts, due.due_at AS was_due
           )
           SELECT c.node, c.state, c.attempts, c.was_due, ${FILE_COLUMNS}
           FROM claimed c JOIN files f ON f.id = c.file_id
           ORDER BY c.was_due, f.seq, c.node`,
          [nowMs, limit, leaseUntilMs],
        ),
      { durable: false },
    );
    return rows.map(
      (row): DueCommand => ({
        kind: row.state === 'deleting' ? 'delete' : 'replicate',
        node: row.node,
        state: row.state,
        attempts: row.attempts,
        file: toFileRecord(row),
      }),
    );
  }

  async schedule(node: string, schedules: readonly Schedule[], published: boolean): Promise<void> {
    if (schedules.length === 0) return;
    await this.db.transaction(
      async (client) => {
        await client.query(
          `UPDATE replicas r SET due_at = q.due_at, attempts = r.attempts + $4
           FROM unnest($2::text[], $3::bigint[]) AS q(file_id, due_at)
           WHERE r.file_id = q.file_id AND r.node = $1 AND r.state IN ${OWED}`,
          [node, schedules.map((s) => s.fileId), schedules.map((s) => s.dueAtMs), published ? 1 : 0],
        );
      },
      { durable: false },
    );
  }

  async announceInstance(id: string, url: string, nowMs: number): Promise<void> {
    await this.db.transaction(
      async (client) => {
        await client.query(
          `INSERT INTO instances (id, url, last_seen_ms) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, last_seen_ms = greatest(instances.last_seen_ms, excluded.last_seen_ms)`,
          [id, url, nowMs],
        );
      },
      { durable: false },
    );
  }

  async listInstances(): Promise<InstanceRecord[]> {
    const { rows } = await this.db.query<{ id: string; url: string; last_seen_ms: number }>(
      'SELECT id, url, last_seen_ms FROM instances ORDER BY id',
    );
    return rows.map((row) => ({ id: row.id, url: row.url, lastSeenMs: row.last_seen_ms }));
  }

  onChange(listener: (fileId: string) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  /** Stops listening; the database (its pool) belongs to whoever opened it. */
  async close(): Promise<void> {
    this.stopListening?.();
    this.changes.removeAllListeners();
  }

  /** One UPDATE of a replica, announced when it changed something. */
  private async updateOne(sql: string, values: unknown[]): Promise<boolean> {
    const fileId = values[0] as string;
    const changed = await this.db.transaction(
      async (client) => {
        const result = await client.query(sql, values);
        if (result.rowCount === 0) return false;
        await this.notify(client, [fileId]);
        return true;
      },
      { durable: false },
    );
    if (changed) this.changed([fileId]);
    return changed;
  }

  /** Queues the announcement of these files' changes; PostgreSQL sends it at commit only. */
  private async notify(client: Queryable, fileIds: readonly string[]): Promise<void> {
    const unique = [...new Set(fileIds)];
    for (let i = 0; i < unique.length; i += IDS_PER_NOTIFY) {
      const payload = `${this.sender}|${unique.slice(i, i + IDS_PER_NOTIFY).join(',')}`;
      await client.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, payload]);
    }
  }

  private heard(payload: string): void {
    const bar = payload.indexOf('|');
    if (bar < 0 || payload.slice(0, bar) === this.sender) return;
    this.changed(payload.slice(bar + 1).split(','));
  }

  private changed(fileIds: readonly string[]): void {
    for (const fileId of fileIds) {
      try {
        this.changes.emit('change', fileId);
      } catch (err) {
        this.logger.error({ err, fileId }, 'a metadata change listener threw');
      }
    }
  }
}

/**
 * A row of getFile's join: the file, and one replica's columns (null when it has none), whose
 * SHA-256 and size are renamed so they do not shadow the file's.
 */
interface FileWithCopyRow extends FileRow {
  node: string | null;
  state: ReplicaRow['state'] | null;
  copy_sha256: string | null;
  copy_size: number | null;
  stored_at: string | null;
  reason: string | null;
}
