import type Database from 'better-sqlite3';

/** One step of a SQLite schema. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** Adds a column to a table of a database created before the column existed. */
function addColumnIfMissing(db: Database.Database, table: string, column: string, definition: string): void {
  const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
  if (!columns.some((c) => c.name === column))
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

/**
 * Version 1 is the schema as it stood before versions were counted; `IF NOT EXISTS` and the
 * column checks let it adopt any database written by an earlier release as it is.
 */
export const METADATA_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'files and replicas',
    up(db) {
      db.exec(`
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
          PRIMARY KEY (file_id, node)
        ) WITHOUT ROWID;
      `);
      addColumnIfMissing(db, 'files', 'content_type', 'TEXT');
      addColumnIfMissing(db, 'replicas', 'attempts', 'INTEGER NOT NULL DEFAULT 0');
    },
  },
  {
    version: 2,
    name: 'outbox due times in the rows; the instance holding each main copy',
    up(db) {
      // A command last published at t was due again some backoff after t; sending it a little
      // early once after the upgrade is harmless, since workers are idempotent.
      db.exec(`
        ALTER TABLE replicas ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
        UPDATE replicas SET due_at = published_at;
        DROP INDEX IF EXISTS replicas_outbox;
        DROP INDEX IF EXISTS replicas_due;
        ALTER TABLE replicas DROP COLUMN published_at;
        CREATE INDEX replicas_due ON replicas (due_at) WHERE state IN ('pending', 'deleting', 'failed');
        ALTER TABLE files ADD COLUMN origin TEXT;
      `);
    },
  },
  {
    version: 3,
    name: 'per-file replica targets; healing and displaced replicas; nodes, their workers, leases',
    up(db) {
      db.exec(`
        ALTER TABLE files ADD COLUMN target INTEGER NOT NULL DEFAULT 3;
        UPDATE files SET target = (SELECT count(*) FROM replicas WHERE replicas.file_id = files.id);
        ALTER TABLE replicas ADD COLUMN healing INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE replicas ADD COLUMN displaced INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX replicas_node ON replicas (node, state);
        CREATE INDEX replicas_displaced ON replicas (file_id) WHERE displaced = 1;
        CREATE TABLE nodes (
          id TEXT PRIMARY KEY,
          url TEXT,
          zone TEXT,
          free_bytes INTEGER,
          total_bytes INTEGER,
          last_seen_ms INTEGER,
          state TEXT,
          draining INTEGER NOT NULL DEFAULT 0,
          drain_total INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE node_workers (
          node TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
          worker_id TEXT NOT NULL,
          last_seen_ms INTEGER NOT NULL,
          PRIMARY KEY (node, worker_id)
        ) WITHOUT ROWID;
        CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until_ms INTEGER NOT NULL);
      `);
    },
  },
  {
    version: 4,
    name: 'the ingest instances',
    up(db) {
      db.exec(
        'CREATE TABLE instances (id TEXT PRIMARY KEY, url TEXT NOT NULL, last_seen_ms INTEGER NOT NULL)',
      );
    },
  },
  {
    version: 5,
    name: 'the event log; files marked completed and degraded',
    up(db) {
      db.exec(`
        CREATE TABLE events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          type TEXT NOT NULL,
          file_id TEXT,
          node TEXT,
          at TEXT NOT NULL,
          data TEXT
        );
        CREATE INDEX events_file ON events (file_id, id) WHERE file_id IS NOT NULL;
        ALTER TABLE files ADD COLUMN completed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE files ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;
        UPDATE files SET completed = 1 WHERE (SELECT count(*) FROM replicas r WHERE r.file_id = files.id AND r.state = 'stored' AND r.sha256 = files.sha256) >= target;
      `);
    },
  },
  {
    version: 6,
    name: 'removed nodes are remembered, so their old workers do not bring them back',
    up(db) {
      db.exec('ALTER TABLE nodes ADD COLUMN removed INTEGER NOT NULL DEFAULT 0');
    },
  },
];

/**
 * Brings one component's tables (`metadata`, or a front end's own) up to its latest version, in
 * one transaction taken at once, so two processes opening the database never both apply a step.
 * The `migrations` table records the steps applied per component, so components that share the
 * database number their steps independently.
 */
export function migrate(db: Database.Database, component: string, migrations: readonly Migration[]): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS migrations (component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))',
  );
  const applied = db.prepare<[string], { version: number | null }>(
    'SELECT max(version) AS version FROM migrations WHERE component = ?',
  );
  const record = db.prepare(
    'INSERT INTO migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    const current = applied.get(component)?.version ?? 0;
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      migration.up(db);
      record.run(component, migration.version, migration.name, new Date().toISOString());
    }
  }).immediate();
}
