import type pg from 'pg';
import type { DueCommand, NodeReplica, PlacementNeed } from '../metadata-store.ts';
import { type FileRow, toFileRecord } from '../rows.ts';

/** What the queries run on: the database's pool or a transaction's client. */
interface Runs {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * The healing queries of the PostgreSQL metadata store (see MetadataStore), the same as
 * SQLite's in store/sqlite/sqlite-metadata-store.ts. `excluded` is a text[] of nodes whose
 * copies do not count (down nodes). Id ranges compare byte by byte (COLLATE "C"), as nodes
 * list their stores, whatever the database's collation.
 */
const FILE_COLUMNS =
  'f.seq, f.id, f.name, f.size, f.sha256, f.created_at, f.content_type, f.origin, f.target';

export async function underReplicated(
  db: Runs,
  excluded: readonly string[],
  limit: number,
): Promise<PlacementNeed[]> {
  const { rows } = await db.query<
    FileRow & { live: number; verified: number; holders: string[] | null; displaced: string[] | null }
  >(
    `SELECT * FROM (
       SELECT ${FILE_COLUMNS},
         count(r.node) FILTER (WHERE NOT r.displaced AND r.node <> ALL($1) AND r.state IN ('stored', 'pending', 'failed'))::int AS live,
         count(r.node) FILTER (WHERE NOT r.displaced AND r.node <> ALL($1) AND r.state = 'stored' AND r.sha256 = f.sha256)::int AS verified,
         array_agg(r.node ORDER BY r.node) FILTER (WHERE r.node IS NOT NULL) AS holders,
         array_agg(r.node ORDER BY r.node) FILTER (WHERE r.displaced AND r.state = 'stored' AND r.sha256 = f.sha256) AS displaced
       FROM files f LEFT JOIN replicas r ON r.file_id = f.id
       WHERE f.deleted_at IS NULL
       GROUP BY f.seq) AS counted
     WHERE live < target ORDER BY verified, seq LIMIT $2`,
    [excluded, limit],
  );
  return rows.map((row) => ({
    file: toFileRecord(row),
    target: row.target,
    holders: row.holders ?? [],
    live: row.live,
    verified: row.verified,
    displaced: row.displaced ?? [],
  }));
}

export async function trimDisplaced(
  db: Runs,
  excluded: readonly string[],
  limit: number,
  leaseUntilMs: number,
): Promise<DueCommand[]> {
  const { rows } = await db.query<FileRow & { node: string; attempts: number }>(
    `WITH trimmable AS (
       SELECT r.file_id, r.node FROM replicas r JOIN files f ON f.id = r.file_id
       WHERE r.displaced AND r.state = 'stored' AND f.deleted_at IS NULL AND r.node <> ALL($1)
         AND (SELECT count(*) FROM replicas o WHERE o.file_id = r.file_id AND NOT o.displaced
                AND o.state = 'stored' AND o.sha256 = f.sha256 AND o.node <> ALL($1)) >= f.target
       LIMIT $2
       FOR UPDATE OF r SKIP LOCKED
     ), trimmed AS (
       UPDATE replicas r SET state = 'deleting', due_at = $3, attempts = 0 FROM trimmable t
       WHERE r.file_id = t.file_id AND r.node = t.node
       RETURNING r.file_id, r.node, r.attempts
     )
     SELECT t.node, t.attempts, ${FILE_COLUMNS} FROM trimmed t JOIN files f ON f.id = t.file_id`,
    [excluded, limit, leaseUntilMs],
  );
  return rows.map((row) => ({
    kind: 'delete',
    node: row.node,
    state: 'deleting',
    attempts: 0,
    file: toFileRecord(row),
  }));
}

export async function countAtRisk(db: Runs, node: string, excluded: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM replicas r JOIN files f ON f.id = r.file_id
     WHERE r.node = $1 AND f.deleted_at IS NULL
       AND (SELECT count(*) FROM replicas o WHERE o.file_id = r.file_id AND o.node <> $1 AND NOT o.displaced
              AND o.state = 'stored' AND o.sha256 = f.sha256 AND o.node <> ALL($2)) < f.target`,
    [node, excluded],
  );
  return rows[0]?.n ?? 0;
}

export async function replicasOn(
  db: Runs,
  node: string,
  fromId: string,
  untilId: string | null,
): Promise<NodeReplica[]> {
  const { rows } = await db.query<NodeReplica>(
    `SELECT file_id AS "fileId", state, sha256, stored_at AS "storedAt" FROM replicas
     WHERE node = $1 AND file_id COLLATE "C" >= $2 AND ($3::text IS NULL OR file_id COLLATE "C" < $3)
     ORDER BY file_id COLLATE "C"`,
    [node, fromId, untilId],
  );
  return rows;
}
