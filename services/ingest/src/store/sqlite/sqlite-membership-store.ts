import type Database from 'better-sqlite3';
import type { HeartbeatRecord, MembershipStore, NodeRecord, NodeReplicaCounts } from '../membership-store.ts';
import { FORGET_WORKER_AFTER_MS, type NodeRow, toNodeRecord } from '../node-rows.ts';
import { METADATA_MIGRATIONS, migrate } from './migrations.ts';

/** MembershipStore on ingest's SQLite database, sharing the connection of SqliteMetadataStore. */
export class SqliteMembershipStore implements MembershipStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    migrate(db, 'metadata', METADATA_MIGRATIONS);
    this.statements = {
      upsertNode: db.prepare(
        `INSERT INTO nodes (id, url, zone, free_bytes, total_bytes, last_seen_ms) VALUES (@node, @url, @zone, @freeBytes, @totalBytes, @atMs)
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, zone = excluded.zone,
           free_bytes = coalesce(excluded.free_bytes, nodes.free_bytes),
           total_bytes = coalesce(excluded.total_bytes, nodes.total_bytes),
           last_seen_ms = max(coalesce(nodes.last_seen_ms, 0), excluded.last_seen_ms)`,
      ),
      upsertWorker: db.prepare(
        `INSERT INTO node_workers (node, worker_id, last_seen_ms) VALUES (?, ?, ?)
         ON CONFLICT (node, worker_id) DO UPDATE SET last_seen_ms = max(node_workers.last_seen_ms, excluded.last_seen_ms)`,
      ),
      forgetWorkers: db.prepare('DELETE FROM node_workers WHERE node = ? AND last_seen_ms < ?'),
      expect: db.prepare('INSERT INTO nodes (id) VALUES (?) ON CONFLICT (id) DO NOTHING'),
      nodes: db.prepare<[], NodeRow>('SELECT * FROM nodes WHERE removed = 0 ORDER BY id'),
      removedState: db.prepare<[string], { removed: number }>('SELECT removed FROM nodes WHERE id = ?'),
      knownWorker: db.prepare<[string, string], { node: string }>(
        'SELECT node FROM node_workers WHERE node = ? AND worker_id = ?',
      ),
      unremove: db.prepare(
        'UPDATE nodes SET removed = 0, state = NULL, draining = 0, drain_total = 0, last_seen_ms = NULL WHERE id = ?',
      ),
      workers: db.prepare<[], { node: string; worker_id: string; last_seen_ms: number }>(
        'SELECT node, worker_id, last_seen_ms FROM node_workers ORDER BY node, worker_id',
      ),
      counts: db.prepare<[], { node: string; stored: number; total: number; healing: number }>(
        `SELECT node, sum(state = 'stored') AS stored, count(*) AS total,
           sum(healing = 1 AND state = 'pending') AS healing
         FROM replicas GROUP BY node`,
      ),
      countOn: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM replicas WHERE node = ?'),
      setState: db.prepare('UPDATE nodes SET state = ? WHERE id = ?'),
      startDrain: db.prepare('UPDATE nodes SET draining = 1, drain_total = ? WHERE id = ? AND draining = 0'),
      stopDrain: db.prepare('UPDATE nodes SET draining = 0 WHERE id = ?'),
      known: db.prepare<[string], { id: string }>('SELECT id FROM nodes WHERE id = ? AND removed = 0'),
      removeNode: db.prepare('UPDATE nodes SET removed = 1 WHERE id = ?'),
      removeReplicasOn: db.prepare('DELETE FROM replicas WHERE node = ?'),
      lease: db.prepare(
        `INSERT INTO leases (name, holder, until_ms) VALUES (@name, @holder, @untilMs)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
         WHERE leases.holder = excluded.holder OR leases.until_ms <= @nowMs`,
      ),
    };
  }

  async recordHeartbeat(beat: HeartbeatRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const node = this.statements.removedState.get(beat.node);
      if (node?.removed === 1) {
        if (this.statements.knownWorker.get(beat.node, beat.workerId)) return false;
        this.statements.unremove.run(beat.node);
      }
      this.statements.upsertNode.run({
        node: beat.node,
        url: beat.url,
        zone: beat.zone ?? null,
        freeBytes: beat.freeBytes ?? null,
        totalBytes: beat.totalBytes ?? null,
        atMs: beat.atMs,
      });
      this.statements.upsertWorker.run(beat.node, beat.workerId, beat.atMs);
      this.statements.forgetWorkers.run(beat.node, beat.atMs - FORGET_WORKER_AFTER_MS);
      return true;
    })();
  }

  async expectNodes(ids: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const id of ids) this.statements.expect.run(id);
    })();
  }

  async listNodes(): Promise<NodeRecord[]> {
    const workers = new Map<string, { id: string; lastSeenMs: number }[]>();
    for (const row of this.statements.workers.all()) {
      const list = workers.get(row.node) ?? [];
      list.push({ id: row.worker_id, lastSeenMs: row.last_seen_ms });
      workers.set(row.node, list);
    }
    return this.statements.nodes.all().map((row) => toNodeRecord(row, workers.get(row.id) ?? []));
  }

  async countReplicasByNode(): Promise<Map<string, NodeReplicaCounts>> {
    return new Map(
      this.statements.counts
        .all()
        .map((row) => [row.node, { stored: row.stored, total: row.total, healing: row.healing }]),
    );
  }

  async setNodeState(id: string, state: string): Promise<void> {
    this.statements.setState.run(state, id);
  }

  async setDraining(id: string, draining: boolean): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.statements.known.get(id)) return false;
      if (draining) this.statements.startDrain.run(this.statements.countOn.get(id)?.n ?? 0, id);
      else this.statements.stopDrain.run(id);
      return true;
    })();
  }

  async removeNode(id: string): Promise<void> {
    this.db.transaction(() => {
      this.statements.removeReplicasOn.run(id);
      this.statements.removeNode.run(id);
    })();
  }

  async tryLease(name: string, holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    return this.statements.lease.run({ name, holder, nowMs, untilMs }).changes > 0;
  }
}
