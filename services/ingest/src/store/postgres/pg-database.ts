import pg from 'pg';
import type { Logger } from '../../../../../shared/src/logger.ts';
import { isUnavailable, storageError } from './pg-errors.ts';
import { PgListener } from './pg-listener.ts';
import { migrate, type PgMigration } from './pg-migrations.ts';

/** A connection, pooled or in a transaction: what queries and migrations run on. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PgDatabaseOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  logger: Logger;
  /**
   * Pooled connections of this process, besides the one that listens. Small on purpose: the
   * server allows 100 in all (max_connections), shared by every instance and every test run.
   */
  maxConnections?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

const DEFAULT_MAX_CONNECTIONS = 5;
/** A request waits this long for a connection before it gets a 503, rather than hanging. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A query with no answer this long (a frozen server) fails, and its request gets a 503. */
const QUERY_TIMEOUT_MS = 30_000;
const IDLE_CONNECTION_MS = 10_000;

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;

/**
 * int8 (bigint: sizes, sequence numbers, due times in ms) as numbers rather than node-postgres'
 * strings, and timestamptz as ISO strings like the port's; every other type as pg parses it.
 * Per pool, so other code using pg in the process keeps the library's defaults.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return parseInt8;
    if (oid === TIMESTAMPTZ_OID) {
      const parseDate = pg.types.getTypeParser(TIMESTAMPTZ_OID) as (text: string) => Date;
      return (text: string) => parseDate(text).toISOString();
    }
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`bigint ${text} does not fit a JavaScript number`);
  return value;
}

/**
 * One process's PostgreSQL: a small pool, transactions, per-component migrations and one
 * listening connection for LISTEN/NOTIFY. Shared by every component that keeps tables in the
 * database (the metadata store, and later others), so a process holds one pool whatever it
 * stores. Failures that mean "unreachable or read-only" reach callers as AppError
 * STORAGE_UNAVAILABLE (503); `isReachable` follows them for /readyz.
 */
export class PgDatabase {
  private readonly pool: pg.Pool;
  private readonly listener: PgListener;
  private lastQueryFailed = false;

  private constructor(options: PgDatabaseOptions) {
    const base: pg.ClientConfig = {
      connectionString: options.url,
      application_name: options.applicationName ?? 'dfr',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      types,
    };
    this.pool = new pg.Pool({
      ...base,
      max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      idleTimeoutMillis: IDLE_CONNECTION_MS,
    });
    // An idle pooled connection that breaks emits here; without a listener it would crash the process.
    this.pool.on('error', (err) => options.logger.warn({ err }, 'an idle PostgreSQL connection failed'));
    // A listening connection that comes back proves the server answers again.
    this.listener = new PgListener(base, options.logger, (connected) => {
      if (connected) this.lastQueryFailed = false;
    });
  }

  /** Connects the listener (which proves the server answers) and returns the database. */
  static async open(options: PgDatabaseOptions): Promise<PgDatabase> {
    const database = new PgDatabase(options);
    try {
      await database.listener.start();
    } catch (err) {
      await database.pool.end().catch(() => undefined);
      throw storageError(err);
    }
    return database;
  }

  /** False while the server cannot be reached: the listener is down, or the last query found it gone. */
  isReachable(): boolean {
    return this.listener.isConnected && !this.lastQueryFailed;
  }

  /** One statement on a pooled connection. */
  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.watch(() => this.pool.query<R>(text, values));
  }

  /**
   * Runs `work` in one transaction on one connection: committed if it resolves, rolled back if
   * it throws. `durable: true` commits with synchronous_commit on (the WAL is flushed before
   * COMMIT returns), for the commits behind a 201 or 204; otherwise off, like SQLite's NORMAL:
   * a crash of the server may forget the last few hundred milliseconds of such commits (never
   * corrupt anything), which the outbox re-sends and idempotent workers confirm again.
   */
  async transaction<T>(work: (client: Queryable) => Promise<T>, options: { durable: boolean }): Promise<T> {
    return this.watch(async () => {
      const client = await this.pool.connect();
      let broken = false;
      // The pool stops listening for a connection's errors while it is lent out; one that breaks
      // between two queries of the transaction would otherwise crash the process.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query(`BEGIN; SET LOCAL synchronous_commit = ${options.durable ? 'on' : 'off'}`);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A rollback that fails too means the connection is gone.
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      } finally {
        client.off('error', onError);
        // A connection that failed mid-transaction is dropped rather than handed to the next caller.
        if (broken) client.on('error', () => undefined);
        client.release(broken);
      }
    });
  }

  /** Brings `component`'s tables to its latest version (see pg-migrations.ts). */
  async migrate(component: string, migrations: readonly PgMigration[]): Promise<void> {
    await this.transaction((client) => migrate(client, component, migrations), { durable: true });
  }

  /**
   * Calls `handler` with each payload NOTIFY sends on `channel`, from any process on the
   * database, including this one. Returns the function that stops it.
   */
  listen(channel: string, handler: (payload: string) => void): Promise<() => void> {
    return this.listener.listen(channel, handler);
  }

  async close(): Promise<void> {
    await this.listener.close();
    await this.pool.end();
  }

  private async watch<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.lastQueryFailed = false;
      return result;
    } catch (err) {
      if (isUnavailable(err)) this.lastQueryFailed = true;
      throw storageError(err);
    }
  }
}
