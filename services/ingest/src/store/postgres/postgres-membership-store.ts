import type { HeartbeatRecord, MembershipStore, NodeRecord, NodeReplicaCounts } from '../membership-store.ts';
import { FORGET_WORKER_AFTER_MS, type NodeRow, toNodeRecord } from '../node-rows.ts';
import { PG_METADATA_MIGRATIONS } from './migrations.ts';
import type { PgDatabase } from './pg-database.ts';

/**
 * MembershipStore on PostgreSQL: every ingest instance records the heartbeats it consumes here,
 * so all of them see the same nodes. Heartbeats are frequent and cheap to lose, so they commit
 * without waiting for the WAL's fsync.
 */
export class PostgresMembershipStore implements MembershipStore {
  private constructor(private readonly db: PgDatabase) {}

  /** The tables are the metadata's (migrated by whichever store opens first). */
  static async open(db: PgDatabase): Promise<PostgresMembershipStore> {
    await db.migrate('metadata', PG_METADATA_MIGRATIONS);
    return new PostgresMembershipStore(db);
  }

  async recordHeartbeat(beat: HeartbeatRecord): Promise<boolean> {
    return this.db.transaction(
      async (client) => {
        const node = await client.query<{ removed: boolean }>(
          'SELECT removed FROM nodes WHERE id = $1 FOR UPDATE',
          [beat.node],
        );
        if (node.rows[0]?.removed) {
          const known = await client.query('SELECT 1 FROM node_workers WHERE node = $1 AND worker_id = $2', [
            beat.node,
            beat.workerId,
          ]);
          if ((known.rowCount ?? 0) > 0) return false;
          await client.query(
            'UPDATE nodes SET removed = false, state = NULL, draining = false, drain_total = 0, last_seen_ms = NULL WHERE id = $1',
            [beat.node],
          );
        }
        await client.query(
          `INSERT INTO nodes (id, url, zone, free_bytes, total_bytes, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, zone = excluded.zone,
             free_bytes = coalesce(excluded.free_bytes, nodes.free_bytes),
             total_bytes = coalesce(excluded.total_bytes, nodes.total_bytes),
             last_seen_ms = greatest(coalesce(nodes.last_seen_ms, 0), excluded.last_seen_ms)`,
          [
            beat.node,
            beat.url,
            beat.zone ?? null,
            beat.freeBytes ?? null,
            beat.totalBytes ?? null,
            beat.atMs,
          ],
        );
        await client.query(
          `INSERT INTO node_workers (node, worker_id, last_seen_ms) VALUES ($1, $2, $3)
           ON CONFLICT (node, worker_id) DO UPDATE SET last_seen_ms = greatest(node_workers.last_seen_ms, excluded.last_seen_ms)`,
          [beat.node, beat.workerId, beat.atMs],
        );
        await client.query('DELETE FROM node_workers WHERE node = $1 AND last_seen_ms < $2', [
          beat.node,
          beat.atMs - FORGET_WORKER_AFTER_MS,
        ]);
        return true;
      },
      { durable: false },
    );
  }

  async expectNodes(ids: readonly string[]): Promise<void> {
    await this.db.query('INSERT INTO nodes (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING', [
      ids,
    ]);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const [nodes, workers] = await Promise.all([
      this.db.query<NodeRow>('SELECT * FROM nodes WHERE NOT removed ORDER BY id COLLATE "C"'),
      this.db.query<{ node: string; worker_id: string; last_seen_ms: number }>(
        'SELECT node, worker_id, last_seen_ms FROM node_workers ORDER BY node COLLATE "C", worker_id COLLATE "C"',
      ),
    ]);
    const byNode = new Map<string, { id: string; lastSeenMs: number }[]>();
    for (const row of workers.rows) {
      const list = byNode.get(row.node) ?? [];
      list.push({ id: row.worker_id, lastSeenMs: row.last_seen_ms });
      byNode.set(row.node, list);
    }
    return nodes.rows.map((row) => toNodeRecord(row, byNode.get(row.id) ?? []));
  }

  async countReplicasByNode(): Promise<Map<string, NodeReplicaCounts>> {
    const { rows } = await this.db.query<{ node: string; stored: number; total: number; healing: number }>(
      `SELECT node, count(*) FILTER (WHERE state = 'stored')::int AS stored, count(*)::int AS total,
         count(*) FILTER (WHERE healing AND state = 'pending')::int AS healing
       FROM replicas GROUP BY node`,
    );
    return new Map(
      rows.map((row) => [row.node, { stored: row.stored, total: row.total, healing: row.healing }]),
    );
  }

  async setNodeState(id: string, state: string): Promise<void> {
    await this.db.query('UPDATE nodes SET state = $2 WHERE id = $1', [id, state]);
  }

  async setDraining(id: string, draining: boolean): Promise<boolean> {
    return this.db.transaction(
      async (client) => {
        const known = await client.query('SELECT id FROM nodes WHERE id = $1 AND NOT removed FOR UPDATE', [
          id,
        ]);
        if (known.rowCount === 0) return false;
        if (draining) {
          await client.query(
            `UPDATE nodes SET draining = true, drain_total = (SELECT count(*) FROM replicas WHERE node = $1)
             WHERE id = $1 AND NOT draining`,
            [id],
          );
        } else {
          await client.query('UPDATE nodes SET draining = false WHERE id = $1', [id]);
        }
        return true;
      },
      { durable: false },
    );
  }

  async removeNode(id: string): Promise<void> {
    await this.db.transaction(
      async (client) => {
        await client.query('DELETE FROM replicas WHERE node = $1', [id]);
        await client.query('UPDATE nodes SET removed = true WHERE id = $1', [id]);
      },
      { durable: true },
    );
  }

  async tryLease(name: string, holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, $4)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
       WHERE leases.holder = excluded.holder OR leases.until_ms <= $3`,
      [name, holder, nowMs, untilMs],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
