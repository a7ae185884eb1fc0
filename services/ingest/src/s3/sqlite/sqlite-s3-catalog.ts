import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../store/sqlite/migrations.ts';
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
import { S3_MIGRATIONS } from './s3-migrations.ts';

/**
 * S3Catalog on SQLite, in ingest's metadata database (its own connection and its own tables,
 * migrated as component `s3`). Every commit is fsynced (`synchronous = FULL`): each answers a
 * client that was told its object or part is kept. better-sqlite3 is synchronous and a
 * transaction never awaits, so this connection and the metadata store's never wait on each other.
 */
export class SqliteS3Catalog implements S3Catalog {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, 's3', S3_MIGRATIONS);
  }

  async createBucket(bucket: Bucket): Promise<boolean> {
    const result = this.db
      .prepare('INSERT INTO s3_buckets (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
      .run(bucket.name, bucket.createdAt);
    return result.changes > 0;
  }

  async getBucket(name: string): Promise<Bucket | undefined> {
    const row = this.db
      .prepare<[string], { name: string; created_at: string }>(
        'SELECT name, created_at FROM s3_buckets WHERE name = ?',
      )
      .get(name);
    return row ? { name: row.name, createdAt: row.created_at } : undefined;
  }

  async listBuckets(): Promise<Bucket[]> {
    return this.db
      .prepare<[], { name: string; created_at: string }>(
        'SELECT name, created_at FROM s3_buckets ORDER BY name',
      )
      .all()
      .map((row) => ({ name: row.name, createdAt: row.created_at }));
  }

  async deleteBucket(
    name: string,
  ): Promise<{ outcome: 'deleted'; parts: UploadPart[] } | { outcome: 'missing' | 'not-empty' }> {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_buckets WHERE name = ?').get(name))
        return { outcome: 'missing' as const };
      if (this.db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1').get(name))
        return { outcome: 'not-empty' as const };
      const parts = this.db
        .prepare<[string], PartRow>(
          'SELECT p.* FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?',
        )
        .all(name)
        .map(toPart);
      this.db.prepare('DELETE FROM s3_uploads WHERE bucket = ?').run(name);
      this.db.prepare('DELETE FROM s3_buckets WHERE name = ?').run(name);
      return { outcome: 'deleted' as const, parts };
    })();
  }

  async putObject(object: S3Object, condition?: WriteCondition): Promise<PutOutcome> {
    return this.db.transaction((): PutOutcome => {
      if (!this.db.prepare('SELECT 1 FROM s3_buckets WHERE name = ?').get(object.bucket))
        return { outcome: 'no-bucket' };
      return this.writeObject(object, condition);
    })();
  }

  /** Inside a transaction: the conditional upsert shared by putObject and completeUpload. */
  private writeObject(object: S3Object, condition: WriteCondition | undefined): PutOutcome {
    const current = this.objectRow(object.bucket, object.key);
    if (condition && 'ifNoneMatch' in condition && current) return { outcome: 'precondition-failed' };
    if (condition && 'ifMatch' in condition && current?.etag !== condition.ifMatch)
      return { outcome: 'precondition-failed' };
    this.db
      .prepare(
        `INSERT INTO s3_objects (bucket, key, file_id, size, etag, last_modified, headers, checksum_algorithm, checksum_value)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket, key) DO UPDATE SET file_id = excluded.file_id, size = excluded.size, etag = excluded.etag,
           last_modified = excluded.last_modified, headers = excluded.headers,
           checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value`,
      )
      .run(...objectValues(object));
    return { outcome: 'stored', replaced: current ? toObject(current) : undefined };
  }

  private objectRow(bucket: string, key: string): ObjectRow | undefined {
    return this.db
      .prepare<[string, Buffer], ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?')
      .get(bucket, keyBytes(key));
  }

  async getObject(bucket: string, key: string): Promise<S3Object | undefined> {
    const row = this.objectRow(bucket, key);
    return row ? toObject(row) : undefined;
  }

  async deleteObject(bucket: string, key: string): Promise<S3Object | undefined> {
    return this.db.transaction(() => {
      const row = this.objectRow(bucket, key);
      if (row)
        this.db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?').run(bucket, keyBytes(key));
      return row ? toObject(row) : undefined;
    })();
  }

  async listObjects(
    bucket: string,
    query: { prefix: string; after?: ListAfter | undefined; limit: number },
  ): Promise<S3Object[]> {
    const { clauses, params } = keySql(keyBounds(query.prefix, query.after && afterBound(query.after)));
    return this.db
      .prepare<unknown[], ObjectRow>(
        `SELECT * FROM s3_objects WHERE bucket = ? ${clauses} ORDER BY key LIMIT ?`,
      )
      .all(bucket, ...params, query.limit)
      .map(toObject);
  }

  async createUpload(upload: MultipartUpload): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_buckets WHERE name = ?').get(upload.bucket)) return false;
      this.db
        .prepare(
          'INSERT INTO s3_uploads (upload_id, bucket, key, initiated_at, headers, checksum_algorithm) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          upload.uploadId,
          upload.bucket,
          keyBytes(upload.key),
          upload.initiatedAt,
          JSON.stringify(upload.headers),
          upload.checksumAlgorithm ?? null,
        );
      return true;
    })();
  }

  async getUpload(uploadId: string): Promise<MultipartUpload | undefined> {
    const row = this.db
      .prepare<[string], UploadRow>('SELECT * FROM s3_uploads WHERE upload_id = ?')
      .get(uploadId);
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
    const { clauses, params } = keySql(keyBounds(query.prefix));
    let marker = '';
    const markerParams: unknown[] = [];
    if (query.after) {
      const key = keyBytes(query.after.key);
      marker = query.after.uploadId ? 'AND (key > ? OR (key = ? AND upload_id > ?))' : 'AND key > ?';
      markerParams.push(key, ...(query.after.uploadId ? [key, query.after.uploadId] : []));
    }
    return this.db
      .prepare<unknown[], UploadRow>(
        `SELECT * FROM s3_uploads WHERE bucket = ? ${clauses} ${marker} ORDER BY key, upload_id LIMIT ?`,
      )
      .all(bucket, ...params, ...markerParams, query.limit)
      .map(toUpload);
  }

  async uploadsStartedBefore(beforeIso: string, limit: number): Promise<MultipartUpload[]> {
    return this.db
      .prepare<[string, number], UploadRow>(
        'SELECT * FROM s3_uploads WHERE initiated_at < ? ORDER BY initiated_at LIMIT ?',
      )
      .all(beforeIso, limit)
      .map(toUpload);
  }

  async putPart(part: UploadPart): Promise<{ replaced: UploadPart | undefined } | undefined> {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(part.uploadId))
        return undefined;
      const current = this.db
        .prepare<[string, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?')
        .get(part.uploadId, part.partNumber);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO s3_parts (upload_id, part_number, size, etag, last_modified, file, checksum_algorithm, checksum_value, holder)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...partValues(part));
      return { replaced: current ? toPart(current) : undefined };
    })();
  }

  async listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<UploadPart[]> {
    return this.db
      .prepare<[string, number, number], PartRow>(
        'SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      )
      .all(uploadId, afterPartNumber, limit)
      .map(toPart);
  }

  async completeUpload(
    uploadId: string,
    object: S3Object,
    condition?: WriteCondition,
  ): Promise<CompleteOutcome> {
    return this.db.transaction((): CompleteOutcome => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(uploadId))
        return { outcome: 'no-upload' };
      const written = this.writeObject(object, condition);
      if (written.outcome !== 'stored') return { outcome: 'precondition-failed' };
      const parts = this.removeUpload(uploadId);
      return { outcome: 'stored', replaced: written.replaced, parts };
    })();
  }

  async deleteUpload(uploadId: string): Promise<UploadPart[] | undefined> {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM s3_uploads WHERE upload_id = ?').get(uploadId)) return undefined;
      return this.removeUpload(uploadId);
    })();
  }

  private removeUpload(uploadId: string): UploadPart[] {
    const parts = this.db
      .prepare<[string], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number')
      .all(uploadId)
      .map(toPart);
    this.db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?').run(uploadId);
    return parts;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function keySql(bounds: readonly KeyBound[]): { clauses: string; params: Buffer[] } {
  return {
    clauses: bounds.map((bound) => `AND key ${bound.op} ?`).join(' '),
    params: bounds.map((bound) => bound.value),
  };
}
