import { join } from 'node:path';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { MetadataStore } from './metadata-store.ts';
import { PgDatabase } from './postgres/pg-database.ts';
import { PostgresMetadataStore } from './postgres/postgres-metadata-store.ts';
import { SqliteMetadataStore } from './sqlite/sqlite-metadata-store.ts';

/** The metadata store a process runs on, and what it needs to know about its database. */
export interface OpenedMetadata {
  store: MetadataStore;
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
    const store = new SqliteMetadataStore(join(location.dataDir, 'metadata.db'));
    return {
      store,
      engine: 'sqlite',
      isReachable: () => true,
      postgres: undefined,
      close: () => store.close(),
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
