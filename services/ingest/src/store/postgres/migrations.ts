import type { PgMigration } from './pg-migrations.ts';

/**
 * The metadata's tables on PostgreSQL; the same shape as SQLite's (store/sqlite/migrations.ts),
 * with sizes and sequence numbers as bigint, times as timestamptz, and due times as epoch ms
 * (bigint), as the port counts them.
 */
export const PG_METADATA_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'files, replicas with their outbox due times, and the ingest instances',
    async up(client) {
      await client.query(`
        CREATE TABLE files (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id text NOT NULL UNIQUE,
          name text NOT NULL,
          size bigint NOT NULL,
          sha256 text NOT NULL,
          created_at timestamptz NOT NULL,
          content_type text,
          origin text,
          deleted_at timestamptz
        );
        CREATE TABLE replicas (
          file_id text NOT NULL REFERENCES files(id) ON DELETE CASCADE,
          node text NOT NULL,
          state text NOT NULL CHECK (state IN ('pending', 'stored', 'failed', 'deleting')),
          sha256 text,
          size bigint,
          stored_at timestamptz,
          reason text,
          due_at bigint NOT NULL DEFAULT 0,
          attempts integer NOT NULL DEFAULT 0,
          PRIMARY KEY (file_id, node)
        );
        CREATE INDEX replicas_due ON replicas (due_at) WHERE state IN ('pending', 'deleting', 'failed');
        CREATE TABLE instances (
          id text PRIMARY KEY,
          url text NOT NULL,
          last_seen_ms bigint NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    name: 'per-file replica targets; healing and displaced replicas; nodes, their workers, leases',
    async up(client) {
      await client.query(`
        ALTER TABLE files ADD COLUMN target integer NOT NULL DEFAULT 3;
        UPDATE files SET target = (SELECT count(*) FROM replicas WHERE replicas.file_id = files.id);
        ALTER TABLE replicas ADD COLUMN healing boolean NOT NULL DEFAULT false;
        ALTER TABLE replicas ADD COLUMN displaced boolean NOT NULL DEFAULT false;
        CREATE INDEX replicas_node ON replicas (node, state);
        CREATE INDEX replicas_displaced ON replicas (file_id) WHERE displaced;
        CREATE TABLE nodes (
          id text PRIMARY KEY,
          url text,
          zone text,
          free_bytes bigint,
          total_bytes bigint,
          last_seen_ms bigint,
          state text,
          draining boolean NOT NULL DEFAULT false,
          drain_total integer NOT NULL DEFAULT 0
        );
        CREATE TABLE node_workers (
          node text NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
          worker_id text NOT NULL,
          last_seen_ms bigint NOT NULL,
          PRIMARY KEY (node, worker_id)
        );
        CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, until_ms bigint NOT NULL);
      `);
    },
  },
  {
    version: 3,
    name: 'the event log; files marked completed and degraded',
    async up(client) {
      await client.query(`
        CREATE TABLE events (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          type text NOT NULL,
          file_id text,
          node text,
          at timestamptz NOT NULL,
          data jsonb
        );
        CREATE INDEX events_file ON events (file_id, id) WHERE file_id IS NOT NULL;
        ALTER TABLE files ADD COLUMN completed boolean NOT NULL DEFAULT false;
        ALTER TABLE files ADD COLUMN degraded boolean NOT NULL DEFAULT false;
        UPDATE files SET completed = true WHERE (SELECT count(*) FROM replicas r WHERE r.file_id = files.id AND r.state = 'stored' AND r.sha256 = files.sha256) >= target;
      `);
    },
  },
  {
    version: 4,
    name: 'removed nodes are remembered, so their old workers do not bring them back',
    async up(client) {
      await client.query('ALTER TABLE nodes ADD COLUMN removed boolean NOT NULL DEFAULT false');
    },
  },
];
