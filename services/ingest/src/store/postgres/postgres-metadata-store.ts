import type { Logger } from '../../../../../shared/src/logger.ts';
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
import { PG_METADATA_MIGRATIONS } from './migrations.ts';
import { PgChangeFeed } from './pg-change-feed.ts';
import type { PgDatabase } from './pg-database.ts';
import * as healing from './pg-healing-queries.ts';
import { settleReports } from './settle-reports.ts';

const FILE_COLUMNS =
  'f.seq, f.id, f.name, f.size, f.sha256, f.created_at, f.content_type, f.origin, f.target';
const REPLICA_COLUMNS =
  'r.file_id, r.node, r.state, r.sha256, r.size, r.stored_at, r.reason, r.healing, r.displaced';
const OWED = "('pending', 'failed', 'deleting')";

/**
 * MetadataStore on PostgreSQL, shared by every ingest instance given the same database. Every
 * change of several rows is one transaction. `claimDue` takes rows with FOR UPDATE SKIP LOCKED,
 * so instances claiming at once take disjoint commands without waiting for each other.
 * Changes reach listeners in every process through NOTIFY (pg-change-feed.ts).
 */
export class PostgresMetadataStore implements MetadataStore {
  private constructor(
    private readonly db: PgDatabase,
    private readonly feed: PgChangeFeed,
  ) {}

  /** Migrates the metadata tables and starts hearing other processes' changes. */
  static async open(db: PgDatabase, logger: Logger): Promise<PostgresMetadataStore> {
    await db.migrate('metadata', PG_METADATA_MIGRATIONS);
    return new PostgresMetadataStore(db, await PgChangeFeed.open(db, logger));
  }

  async addFiles(entries: readonly NewFile[], commandsDueAtMs: number): Promise<void> {
    if (entries.length === 0) return;
    const files = entries.map((e) => e.file);
    const replicas = entries.flatMap(({ file, nodes }) => nodes.map((node) => [file.id, node] as const));
    const targets = entries.map((e) => e.target);
    await this.db.transaction(
      async (client) => {
        await client.query(
          `INSERT INTO files (id, name, size, sha256, created_at, content_type, origin, target)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::int[])`,
          [
            files.map((f) => f.id),
            files.map((f) => f.name),
            files.map((f) => f.size),
            files.map((f) => f.sha256),
            files.map((f) => f.createdAt),
            files.map((f) => f.contentType ?? null),
            files.map((f) => f.origin ?? null),
            targets,
          ],
        );
        await client.query(
          `INSERT INTO replicas (file_id, node, state, due_at)
           SELECT file_id, node, 'pending', $3 FROM unnest($1::text[], $2::text[]) AS n(file_id, node)`,
          [replicas.map(([id]) => id), replicas.map(([, node]) => node), commandsDueAtMs],
        );
        await this.feed.notify(
          client,
          files.map((f) => f.id),
        );
      },
      { durable: true },
    );
    this.feed.changed(files.map((f) => f.id));
  }

  async getFile(id: string): Promise<FileStatus | undefined> {
    const { rows } = await this.db.query<FileWithCopyRow>(
      `SELECT ${FILE_COLUMNS}, r.node, r.state, r.sha256 AS copy_sha256, r.size AS copy_size, r.stored_at, r.reason,
         r.healing, r.displaced
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
          healing: row.healing ?? false,
          displaced: row.displaced ?? false,
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
        const { outcomes, settled } = await settleReports(client, reports);
        if (settled.length > 0) await this.feed.notify(client, settled);
        return outcomes;
      },
      { durable: false },
    );
    this.feed.changed(reports.filter((_, i) => outcomes[i] !== 'ignored').map((r) => r.fileId));
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

  async recordDeleted(fileId: string, node: string): Promise<boolean> {
    return this.db.transaction(
      async (client) => {
        const deleted = await client.query(
          "DELETE FROM replicas WHERE file_id = $1 AND node = $2 AND state = 'deleting'",
          [fileId, node],
        );
        await client.query(
          'DELETE FROM files f WHERE f.id = $1 AND f.deleted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.file_id = f.id)',
          [fileId],
        );
        return (deleted.rowCount ?? 0) > 0;
      },
      { durable: false },
    );
  }

  async markCompleted(fileId: string): Promise<Completion | undefined> {
    const { rows } = await this.db.query<{ completed: boolean; degraded: boolean }>(
      `WITH before AS (SELECT id, completed, degraded FROM files WHERE id = $1 AND deleted_at IS NULL FOR UPDATE)
       UPDATE files f SET completed = true, degraded = false FROM before
       WHERE f.id = before.id AND (NOT before.completed OR before.degraded)
       RETURNING before.completed, before.degraded`,
      [fileId],
    );
    const before = rows[0];
    if (!before) return undefined;
    return before.completed ? 'healed' : 'completed';
  }

  async markDegraded(fileId: string): Promise<boolean> {
    const result = await this.db.query(
      'UPDATE files SET degraded = true WHERE id = $1 AND completed AND NOT degraded AND deleted_at IS NULL',
      [fileId],
    );
    return (result.rowCount ?? 0) > 0;
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
        await this.feed.notify(client, [id]);
        return rows.map((row) => row.node).sort();
      },
      { durable: true },
    );
    if (nodes) this.feed.changed([id]);
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

  async displaceReplicas(node: string): Promise<number> {
    return this.db.transaction(
      async (client) => {
        const dropped = await client.query(
          "DELETE FROM replicas WHERE node = $1 AND state IN ('pending', 'failed')",
          [node],
        );
        const displaced = await client.query(
          "UPDATE replicas SET displaced = true WHERE node = $1 AND state = 'stored' AND NOT displaced",
          [node],
        );
        return (dropped.rowCount ?? 0) + (displaced.rowCount ?? 0);
      },
      { durable: false },
    );
  }

  async restoreReplicas(node: string): Promise<number> {
    const result = await this.db.query(
      "UPDATE replicas SET displaced = false WHERE node = $1 AND state = 'stored' AND displaced",
      [node],
    );
    return result.rowCount ?? 0;
  }

  async restoreReplica(fileId: string, node: string): Promise<boolean> {
    return this.updateOne(
      "UPDATE replicas SET displaced = false WHERE file_id = $1 AND node = $2 AND state = 'stored' AND displaced",
      [fileId, node],
    );
  }

  underReplicated(excluded: readonly string[], limit: number): Promise<PlacementNeed[]> {
    return healing.underReplicated(this.db, excluded, limit);
  }

  async addReplicas(fileId: string, nodes: readonly string[], dueAtMs: number): Promise<void> {
    await this.db.transaction(
      async (client) => {
        await client.query(
          `INSERT INTO replicas (file_id, node, state, due_at, healing)
           SELECT $1, node, 'pending', $3, true FROM unnest($2::text[]) AS n(node)
           ON CONFLICT DO NOTHING`,
          [fileId, nodes, dueAtMs],
        );
        await this.feed.notify(client, [fileId]);
      },
      { durable: false },
    );
    this.feed.changed([fileId]);
  }

  async trimDisplaced(
    excluded: readonly string[],
    limit: number,
    leaseUntilMs: number,
  ): Promise<DueCommand[]> {
    const trimmed = await this.db.transaction(
      async (client) => {
        const commands = await healing.trimDisplaced(client, excluded, limit, leaseUntilMs);
        if (commands.length > 0)
          await this.feed.notify(
            client,
            commands.map((c) => c.file.id),
          );
        return commands;
      },
      { durable: false },
    );
    this.feed.changed(trimmed.map((c) => c.file.id));
    return trimmed;
  }

  countAtRisk(node: string, excluded: readonly string[]): Promise<number> {
    return healing.countAtRisk(this.db, node, excluded);
  }

  replicasOn(node: string, fromId: string, untilId: string | null): Promise<NodeReplica[]> {
    return healing.replicasOn(this.db, node, fromId, untilId);
  }

  async stats(nowMs: number, excluded: readonly string[]): Promise<MetadataStats> {
    const [files, states, short, pending, due] = await Promise.all([
      this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM files WHERE deleted_at IS NULL'),
      this.db.query<{ state: string; n: number }>(
        'SELECT state, count(*)::int AS n FROM replicas GROUP BY state',
      ),
      this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM files f WHERE f.deleted_at IS NULL AND f.target >
           (SELECT count(*) FROM replicas r WHERE r.file_id = f.id AND NOT r.displaced AND r.node <> ALL($1)
              AND r.state = 'stored' AND r.sha256 = f.sha256)`,
        [excluded],
      ),
      this.db.query<{ at: string | null }>(
        "SELECT min(f.created_at) AS at FROM replicas r JOIN files f ON f.id = r.file_id WHERE r.state = 'pending'",
      ),
      this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM replicas WHERE state IN ${OWED} AND due_at <= $1`,
        [nowMs],
      ),
    ]);
    return {
      files: files.rows[0]?.n ?? 0,
      replicas: Object.fromEntries(states.rows.map((row) => [row.state, row.n])),
      underReplicated: short.rows[0]?.n ?? 0,
      oldestPendingSince: pending.rows[0]?.at ?? null,
      due: due.rows[0]?.n ?? 0,
    };
  }

  onChange(listener: (fileId: string) => void): () => void {
    return this.feed.onChange(listener);
  }

  /** Stops listening; the database (its pool) belongs to whoever opened it. */
  async close(): Promise<void> {
    this.feed.close();
  }

  /** One UPDATE of a replica, announced when it changed something. */
  private async updateOne(sql: string, values: unknown[]): Promise<boolean> {
    const fileId = values[0] as string;
    const changed = await this.db.transaction(
      async (client) => {
        const result = await client.query(sql, values);
        if (result.rowCount === 0) return false;
        await this.feed.notify(client, [fileId]);
        return true;
      },
      { durable: false },
    );
    if (changed) this.feed.changed([fileId]);
    return changed;
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
  healing: boolean | null;
  displaced: boolean | null;
}
