import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opens ingest's SQLite database (`:memory:` for tests) as every component on it expects: WAL,
 * foreign keys, a busy timeout for a second connection, and `synchronous = NORMAL` except for
 * the commits a component makes durable on purpose (see SqliteMetadataStore's `durably`).
 */
export function openSqliteDatabase(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
