import { join } from 'node:path';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { InstanceDirectory } from '../cluster/instance-directory.ts';
import type { PgDatabase } from '../store/postgres/pg-database.ts';
import { ClusterParts } from './cluster-parts.ts';
import { PartStore } from './part-store.ts';
import { PostgresS3Catalog } from './postgres/postgres-s3-catalog.ts';
import type { S3Catalog } from './s3-catalog.ts';
import { SqliteS3Catalog } from './sqlite/sqlite-s3-catalog.ts';

/** The S3 front end's state: its catalog, and the multipart parts' bytes. */
export interface S3Storage {
  catalog: S3Catalog;
  parts: ClusterParts;
  /** Closes the catalog (a PostgreSQL pool stays its opener's). */
  close(): Promise<void>;
}

export interface S3StorageLocation {
  /** Ingest's PostgreSQL database when its metadata is there (OpenedMetadata.postgres). */
  postgres: PgDatabase | undefined;
  dataDir: string;
  tmpDir: string;
  instanceId: string;
  instances: Pick<InstanceDirectory, 'locate'>;
  clusterToken: string | undefined;
  background: BackgroundWork;
  logger: Logger;
}

/**
 * The one place that picks the S3 catalog's engine: ingest's own. On PostgreSQL every instance
 * sharing the database sees the same buckets, keys and uploads; on SQLite the catalog lives in
 * `<data dir>/metadata.db` beside the metadata. Parts go to `<data dir>/s3-parts/` either way.
 */
export async function openS3Storage(where: S3StorageLocation): Promise<S3Storage> {
  const catalog = where.postgres
    ? await PostgresS3Catalog.open(where.postgres)
    : new SqliteS3Catalog(join(where.dataDir, 'metadata.db'));
  const local = new PartStore(join(where.dataDir, 's3-parts'), where.tmpDir);
  await local.open();
  const parts = new ClusterParts({ ...where, local });
  return { catalog, parts, close: () => catalog.close() };
}
