import { join } from 'node:path';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { EventStore } from './event-store.ts';
import type { MembershipStore } from './membership-store.ts';
import type { MetadataStore } from './metadata-store.ts';
import { PgDatabase } from './postgres/pg-database.ts';
import { PostgresEventStore } from './postgres/postgres-event-store.ts';
import { PostgresMembershipStore } from './postgres/postgres-membership-store.ts';
import { PostgresMetadataStore } from './postgres/postgres-metadata-store.ts';
import { openSqliteDatabase } from './sqlite/sqlite-database.ts';
import { SqliteEventStore } from './sqlite/sqlite-event-store.ts';
import { SqliteMembershipStore } from './sqlite/sqlite-membership-store.ts';
import { SqliteMetadataStore } from './sqlite/sqlite-metadata-store.ts';

/** The metadata store a process runs on, and what it needs to know about its database. */
export interface OpenedMetadata {
  store: MetadataStore;
  /** The nodes, on the same database. */
  nodes: MembershipStore;
  /** The event log, on the same database. */
  events: EventStore;
  /** Which engine: `sqlite` (embedded, one instance) or `postgres` (shared by instances). */
  engine: 'sqlite' | 'postgres';
  /** False while the database cannot be reached (/readyz); SQLite always can. */
  isReachable(): boolean;
  /** The PostgreSQL database, for components that keep their own tables in it; else undefined. */
  postgres: PgDatabase | undefined;
  /** Closes the store, then the database. */
  close(): Promise<void>;
}

export interface MetadataLocation {
  /** `postgres://...` (DFR_DATABASE_URL): PostgreSQL; undefined: SQLite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  logger: Logger;
}

/** The one place that picks the metadata engine: PostgreSQL when a URL is given, else SQLite. */
export async function openMetadataStore(location: MetadataLocation): Promise<OpenedMetadata> {
  if (location.databaseUrl === undefined) {
    const database = openSqliteDatabase(join(location.dataDir, 'metadata.db'));
    const store = new SqliteMetadataStore(database);
    return {
      store,
      nodes: new SqliteMembershipStore(database),
      events: new SqliteEventStore(database),
      engine: 'sqlite',
      isReachable: () => true,
      postgres: undefined,
      async close() {
        await store.close();
        database.close();
      },
    };
  }
  const postgres = await PgDatabase.open({
    url: location.databaseUrl,
    logger: location.logger,
    applicationName: 'dfr-ingest',
  });
  try {
    const store = await PostgresMetadataStore.open(postgres, location.logger);
    return {
      store,
      nodes: await PostgresMembershipStore.open(postgres),
      events: await PostgresEventStore.open(postgres),
      engine: 'postgres',
      isReachable: () => postgres.isReachable(),
      postgres,
      async close() {
        await store.close();
        await postgres.close();
      },
    };
  } catch (err) {
    await postgres.close().catch(() => undefined);
    throw err;
  }
}
