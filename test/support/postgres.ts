import { randomBytes } from 'node:crypto';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { getContainerRuntimeClient } from 'testcontainers';
import { describe, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL container the global setup started; null when it started none. */
    postgresContainerUrl: string | null;
  }
}

/** The machine's PostgreSQL is 15; the container matches it. */
const POSTGRES_IMAGE = process.env.POSTGRES_IMAGE ?? 'postgres:15-alpine';

/** Every database a test makes is named `t_<hex>`, so cleanup can never drop anything else. */
const TEST_DATABASE = /^t_[0-9a-f]{12}$/;

export interface StartedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Starts a PostgreSQL container, or returns undefined when no Docker engine answers. */
export async function startPostgresContainer(): Promise<StartedPostgres | undefined> {
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const container = await new PostgreSqlContainer(POSTGRES_IMAGE).withStartupTimeout(120_000).start();
  return {
    url: container.getConnectionUri(),
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * The PostgreSQL this run tests against, as an admin URL (one that may create databases):
 * `POSTGRES_URL`, else the container the global setup started. Without either it warns loudly
 * and returns undefined, so the PostgreSQL suites are skipped; on CI (`CI=true`) it throws,
 * because a skipped contract there would pass for a tested one.
 */
export function resolvePostgresUrl(): string | undefined {
  const url = process.env.POSTGRES_URL || inject('postgresContainerUrl');
  if (url) return url;
  const reason = 'POSTGRES_URL is not set and no Docker engine answered to start a PostgreSQL container';
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is required on CI: ${reason}`);
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! POSTGRESQL TESTS SKIPPED: ${reason}.\n!! Set POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres to run them.\n${line}\n`,
  );
  return undefined;
}

/** A suite that needs PostgreSQL: skipped (and reported as skipped) when `url` is undefined. */
export function describeWithPostgres(name: string, url: string | undefined, fn: (url: string) => void): void {
  describe.skipIf(url === undefined)(name, () =>
    fn(url ?? 'postgres://postgres-unavailable.invalid/postgres'),
  );
}

/** A database of one test's own, and the URL that reaches it. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Drops it, ending whatever connections are left (`WITH (FORCE)`). */
  drop(): Promise<void>;
}

/** Creates `t_<12 hex>` on the server of `adminUrl`. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => dropTestDatabase(adminUrl, name),
  };
}

export async function dropTestDatabase(adminUrl: string, name: string): Promise<void> {
  if (!TEST_DATABASE.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await asAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function asAdmin(adminUrl: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
