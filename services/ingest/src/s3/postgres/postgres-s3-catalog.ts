import type { PgDatabase, Queryable } from '../../store/postgres/pg-database.ts';
import {
  type ObjectRow,
  objectValues,
  type PartRow,
  partValues,
  toObject,
  toPart,
  toUpload,
  type UploadRow,
} from '../catalog-rows.ts';
import { keyBytes } from '../key-order.ts';
import { afterBound, type KeyBound, keyBounds } from '../key-range.ts';
import type {
  Bucket,
  CompleteOutcome,
  ListAfter,
  MultipartUpload,
  PutOutcome,
  S3Catalog,
  S3Object,
  UploadPart,
  WriteCondition,
} from '../s3-catalog.ts';
import { PG_S3_MIGRATIONS } from './pg-s3-migrations.ts';
import { writeRow } from './write-row.ts';

const OBJECT_COLUMNS =
  'bucket, key, file_id, size, etag, last_modified, headers, checksum_algorithm, checksum_value';
const PART_COLUMNS =
  'upload_id, part_number, size, etag, last_modified, file, checksum_algorithm, checksum_value, holder';
const DURABLE = { durable: true };

/**
 * S3Catalog on PostgreSQL, in the database every ingest instance shares (DFR_DATABASE_URL),
 * on the process's one pool; tables migrated as component `s3`. Every write that answers a
 * client commits durably.
 *
 * Locks are taken in one order, bucket → upload → object or part, so no two writes deadlock:
 * a write into a bucket holds its row `FOR KEY SHARE` (many at once), DeleteBucket holds it
 * `FOR UPDATE` and so waits for them, or they for it and then find no bucket. A completion or
 * abort locks its upload row `FOR UPDATE`, a part write `FOR KEY SHARE`, so a part is never
 * recorded into an upload that is ending. Conditional writes are race-free through writeRow.
 */
export class PostgresS3Catalog implements S3Catalog {
  private constructor(private readonly db: PgDatabase) {}

  /** Brings the tables up to date and returns the catalog; `db` stays the caller's to close. */
  static async open(db: PgDatabase): Promise<PostgresS3Catalog> {
    await db.migrate('s3', PG_S3_MIGRATIONS);
    return new PostgresS3Catalog(db);
  }

  async createBucket(bucket: Bucket): Promise<boolean> {
    const result = await this.db.query(
      'INSERT INTO s3_buckets (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
      [bucket.name, bucket.createdAt],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async getBucket(name: string): Promise<Bucket | undefined> {
    const result = await this.db.query<{ name: string; created_at: string }>(
      'SELECT name, created_at FROM s3_buckets WHERE name = $1',
      [name],
    );
    const row = result.rows[0];
    return row ? { name: row.name, createdAt: row.created_at } : undefined;
  }

  async listBuckets(): Promise<Bucket[]> {
    const result = await this.db.query<{ name: string; created_at: string }>(
      'SELECT name, created_at FROM s3_buckets ORDER BY name',
    );
    return result.rows.map((row) => ({ name: row.name, createdAt: row.created_at }));
  }

  async deleteBucket(
    name: string,
  ): Promise<{ outcome: 'deleted'; parts: UploadPart[] } | { outcome: 'missing' | 'not-empty' }> {
    return this.db.transaction(async (client) => {
      const bucket = await client.query('SELECT 1 FROM s3_buckets WHERE name = $1 FOR UPDATE', [name]);
      if (bucket.rowCount === 0) return { outcome: 'missing' as const };
      const object = await client.query('SELECT 1 FROM s3_objects WHERE bucket = $1 LIMIT 1', [name]);
      if ((object.rowCount ?? 0) > 0) return { outcome: 'not-empty' as const };
      const parts = await client.query<PartRow>(
        `SELECT p.* FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id
         WHERE u.bucket = $1 ORDER BY p.upload_id, p.part_number`,
        [name],
      );
      await client.query('DELETE FROM s3_uploads WHERE bucket = $1', [name]);
      await client.query('DELETE FROM s3_buckets WHERE name = $1', [name]);
      return { outcome: 'deleted' as const, parts: parts.rows.map(toPart) };
    }, DURABLE);
  }

  async putObject(object: S3Object, condition?: WriteCondition): Promise<PutOutcome> {
    return this.db.transaction(async (client): Promise<PutOutcome> => {
      if (!(await lockBucket(client, object.bucket))) return { outcome: 'no-bucket' };
      return writeObject(client, object, condition);
    }, DURABLE);
  }

  async getObject(bucket: string, key: string): Promise<S3Object | undefined> {
    const result = await this.db.query<ObjectRow>('SELECT * FROM s3_objects WHERE bucket = $1 AND key = $2', [
      bucket,
      keyBytes(key),
    ]);
    const row = result.rows[0];
    return row ? toObject(row) : undefined;
  }

  async deleteObject(bucket: string, key: string): Promise<S3Object | undefined> {
    const result = await this.db.query<ObjectRow>(
      'DELETE FROM s3_objects WHERE bucket = $1 AND key = $2 RETURNING *',
      [bucket, keyBytes(key)],
    );
    const row = result.rows[0];
    return row ? toObject(row) : undefined;
  }

  async listObjects(
    bucket: string,
    query: { prefix: string; after?: ListAfter | undefined; limit: number },
  ): Promise<S3Object[]> {
    const params: unknown[] = [bucket];
    const clauses = keySql(keyBounds(query.prefix, query.after && afterBound(query.after)), params);
    params.push(query.limit);
    const result = await this.db.query<ObjectRow>(
      `SELECT * FROM s3_objects WHERE bucket = $1 ${clauses} ORDER BY key LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(toObject);
  }

  async createUpload(upload: MultipartUpload): Promise<boolean> {
    return this.db.transaction(async (client) => {
      if (!(await lockBucket(client, upload.bucket))) return false;
      await client.query(
        `INSERT INTO s3_uploads (upload_id, bucket, key, initiated_at, headers, checksum_algorithm)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          upload.uploadId,
          upload.bucket,
          keyBytes(upload.key),
          upload.initiatedAt,
          JSON.stringify(upload.headers),
          upload.checksumAlgorithm ?? null,
        ],
      );
      return true;
    }, DURABLE);
  }

  async getUpload(uploadId: string): Promise<MultipartUpload | undefined> {
    const result = await this.db.query<UploadRow>('SELECT * FROM s3_uploads WHERE upload_id = $1', [
      uploadId,
    ]);
    const row = result.rows[0];
    return row ? toUpload(row) : undefined;
  }

  async listUploads(
    bucket: string,
    query: {
      prefix: string;
      after?: { key: string; uploadId?: string | undefined } | undefined;
      limit: number;
    },
  ): Promise<MultipartUpload[]> {
    const params: unknown[] = [bucket];
    let clauses = keySql(keyBounds(query.prefix), params);
    if (query.after) {
      params.push(keyBytes(query.after.key));
      const key = `$${params.length}`;
      if (query.after.uploadId === undefined) clauses += ` AND key > ${key}`;
      else {
        params.push(query.after.uploadId);
        clauses += ` AND (key > ${key} OR (key = ${key} AND upload_id > $${params.length}))`;
      }
    }
    params.push(query.limit);
    const result = await this.db.query<UploadRow>(
      `SELECT * FROM s3_uploads WHERE bucket = $1 ${clauses} ORDER BY key, upload_id LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(toUpload);
  }

  async uploadsStartedBefore(beforeIso: string, limit: number): Promise<MultipartUpload[]> {
    const result = await this.db.query<UploadRow>(
      'SELECT * FROM s3_uploads WHERE initiated_at < $1 ORDER BY initiated_at LIMIT $2',
      [beforeIso, limit],
    );
    return result.rows.map(toUpload);
  }

  async putPart(part: UploadPart): Promise<{ replaced: UploadPart | undefined } | undefined> {
    return this.db.transaction(async (client) => {
      const upload = await client.query('SELECT 1 FROM s3_uploads WHERE upload_id = $1 FOR KEY SHARE', [
        part.uploadId,
      ]);
      if (upload.rowCount === 0) return undefined;
      const values = partValues(part);
      const written = await writeRow<PartRow>({
        lock: async () =>
          (
            await client.query<PartRow>(
              'SELECT * FROM s3_parts WHERE upload_id = $1 AND part_number = $2 FOR UPDATE',
              [part.uploadId, part.partNumber],
            )
          ).rows[0],
        allowed: () => true,
        update: () =>
          client.query(
            `UPDATE s3_parts SET (${PART_COLUMNS}) = ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             WHERE upload_id = $1 AND part_number = $2`,
            values,
          ),
        insert: async () =>
          (
            await client.query(
              `INSERT INTO s3_parts (${PART_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (upload_id, part_number) DO NOTHING`,
              values,
            )
          ).rowCount === 1,
      });
      return { replaced: written.written && written.replaced ? toPart(written.replaced) : undefined };
    }, DURABLE);
  }

  async listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<UploadPart[]> {
    const result = await this.db.query<PartRow>(
      'SELECT * FROM s3_parts WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3',
      [uploadId, afterPartNumber, limit],
    );
    return result.rows.map(toPart);
  }

  async completeUpload(
    uploadId: string,
    object: S3Object,
    condition?: WriteCondition,
  ): Promise<CompleteOutcome> {
    return this.db.transaction(async (client): Promise<CompleteOutcome> => {
      // The bucket first (see the lock order above); no bucket means no upload in it either.
      if (!(await lockBucket(client, object.bucket))) return { outcome: 'no-upload' };
      if (!(await lockUpload(client, uploadId))) return { outcome: 'no-upload' };
      const written = await writeObject(client, object, condition);
      if (written.outcome !== 'stored') return { outcome: 'precondition-failed' };
      return { outcome: 'stored', replaced: written.replaced, parts: await removeUpload(client, uploadId) };
    }, DURABLE);
  }

  async deleteUpload(uploadId: string): Promise<UploadPart[] | undefined> {
    return this.db.transaction(async (client) => {
      if (!(await lockUpload(client, uploadId))) return undefined;
      return removeUpload(client, uploadId);
    }, DURABLE);
  }

  /** The pool is the opener's (one per process, shared with the metadata store). */
  async close(): Promise<void> {}
}

/** Holds the bucket against DeleteBucket until the transaction ends; false when there is none. */
async function lockBucket(client: Queryable, bucket: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM s3_buckets WHERE name = $1 FOR KEY SHARE', [bucket]);
  return (result.rowCount ?? 0) > 0;
}

/** Takes the upload for this transaction alone (a completion or an abort); false when there is none. */
async function lockUpload(client: Queryable, uploadId: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM s3_uploads WHERE upload_id = $1 FOR UPDATE', [uploadId]);
  return (result.rowCount ?? 0) > 0;
}

/** Inside a transaction holding the bucket: the conditional write of putObject and completeUpload. */
async function writeObject(
  client: Queryable,
  object: S3Object,
  condition: WriteCondition | undefined,
): Promise<PutOutcome> {
  const values = objectValues(object);
  const written = await writeRow<ObjectRow>({
    lock: async () =>
      (
        await client.query<ObjectRow>('SELECT * FROM s3_objects WHERE bucket = $1 AND key = $2 FOR UPDATE', [
          object.bucket,
          values[1],
        ])
      ).rows[0],
    allowed: (current) => {
      if (condition && 'ifNoneMatch' in condition) return current === undefined;
      if (condition && 'ifMatch' in condition) return current?.etag === condition.ifMatch;
      return true;
    },
    update: () =>
      client.query(
        `UPDATE s3_objects SET (${OBJECT_COLUMNS}) = ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         WHERE bucket = $1 AND key = $2`,
        values,
      ),
    insert: async () =>
      (
        await client.query(
          `INSERT INTO s3_objects (${OBJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (bucket, key) DO NOTHING`,
          values,
        )
      ).rowCount === 1,
  });
  if (!written.written) return { outcome: 'precondition-failed' };
  return { outcome: 'stored', replaced: written.replaced && toObject(written.replaced) };
}

/** Inside a transaction holding the upload: removes it and returns its parts in order. */
async function removeUpload(client: Queryable, uploadId: string): Promise<UploadPart[]> {
  const parts = await client.query<PartRow>(
    'SELECT * FROM s3_parts WHERE upload_id = $1 ORDER BY part_number',
    [uploadId],
  );
  await client.query('DELETE FROM s3_uploads WHERE upload_id = $1', [uploadId]);
  return parts.rows.map(toPart);
}

/** The bounds as `AND key <op> $n`, their values appended to `params`. */
function keySql(bounds: readonly KeyBound[], params: unknown[]): string {
  return bounds
    .map((bound) => {
      params.push(bound.value);
      return `AND key ${bound.op} $${params.length}`;
    })
    .join(' ');
}
