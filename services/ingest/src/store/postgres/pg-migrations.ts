import type { Queryable } from './pg-database.ts';

/** One step of a component's PostgreSQL schema. */
export interface PgMigration {
  version: number;
  name: string;
  up(client: Queryable): Promise<void>;
}

/** Any fixed key: every process migrating this database queues behind the same lock. */
const MIGRATION_LOCK_KEY = 0x64667200;

/**
 * Brings one component's tables (`metadata`, or another component's own) up to its latest
 * version inside the caller's transaction. A transaction-scoped advisory lock makes instances
 * that start together apply each step once, one after the other; DDL is transactional in
 * PostgreSQL, so a step that fails leaves nothing half-done. The `migrations` table records
 * the steps applied per component, as on SQLite, so components number their steps independently.
 */
export async function migrate(
  client: Queryable,
  component: string,
  migrations: readonly PgMigration[],
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await client.query(
    `CREATE TABLE IF NOT EXISTS migrations (
       component text NOT NULL,
       version integer NOT NULL,
       name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (component, version))`,
  );
  const applied = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM migrations WHERE component = $1',
    [component],
  );
  const current = applied.rows[0]?.version ?? 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    await migration.up(client);
    await client.query('INSERT INTO migrations (component, version, name) VALUES ($1, $2, $3)', [
      component,
      migration.version,
      migration.name,
    ]);
  }
}
