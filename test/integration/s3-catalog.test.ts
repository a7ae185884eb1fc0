import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PostgresS3Catalog } from '../../services/ingest/src/s3/postgres/postgres-s3-catalog.ts';
import type { S3Catalog } from '../../services/ingest/src/s3/s3-catalog.ts';
import { SqliteS3Catalog } from '../../services/ingest/src/s3/sqlite/sqlite-s3-catalog.ts';
import { PgDatabase } from '../../services/ingest/src/store/postgres/pg-database.ts';
import { PostgresMetadataStore } from '../../services/ingest/src/store/postgres/postgres-metadata-store.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';
import { createTestDatabase, describeWithPostgres, resolvePostgresUrl } from '../support/postgres.ts';
import { s3CatalogContract } from './s3-catalog-contract.ts';

const adminUrl = resolvePostgresUrl();
const logger = pino({ level: 'silent' });

s3CatalogContract('SQLite, beside the metadata store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-s3cat-'));
  const path = join(dir, 'metadata.db');
  // The catalog shares ingest's database: the metadata store's tables are there too.
  const metadata = new SqliteMetadataStore(path);
  const opened: S3Catalog[] = [new SqliteS3Catalog(path)];
  return {
    catalog: opened[0] as S3Catalog,
    async reopen() {
      const catalog = new SqliteS3Catalog(path);
      opened.push(catalog);
      return catalog;
    },
    async cleanup() {
      for (const catalog of opened) await catalog.close();
      await metadata.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeWithPostgres('PostgreSQL S3 catalog', adminUrl, (url) => {
  s3CatalogContract('PostgreSQL, beside the metadata store', async () => {
    const database = await createTestDatabase(url);
    const pools: PgDatabase[] = [];
    // Each catalog on a pool of its own, as in an ingest instance of its own.
    const open = async () => {
      const db = await PgDatabase.open({ url: database.url, logger, maxConnections: 3 });
      pools.push(db);
      return PostgresS3Catalog.open(db);
    };
    const first = await open();
    // The catalog shares the metadata's database and its pool, as in ingest.
    const metadata = await PostgresMetadataStore.open(pools[0] as PgDatabase, logger);
    return {
      catalog: first,
      reopen: open,
      async cleanup() {
        await metadata.close();
        for (const db of pools) await db.close();
        await database.drop();
      },
    };
  });
});
