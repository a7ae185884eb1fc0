import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Catalog } from '../../services/ingest/src/s3/s3-catalog.ts';
import { SqliteS3Catalog } from '../../services/ingest/src/s3/sqlite/sqlite-s3-catalog.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';
import { s3CatalogContract } from './s3-catalog-contract.ts';

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
