import { keyBytes } from '../key-order.ts';
import type { MultipartUpload, ObjectHeaders, S3Object, StoredChecksum, UploadPart } from '../s3-catalog.ts';

/**
 * Rows as the pool parses them: bytea as Buffer, jsonb as objects, bigint as numbers and
 * timestamptz as ISO strings (see store/postgres/pg-database.ts).
 */
export interface PgObjectRow {
  bucket: string;
  key: Buffer;
  file_id: string;
  size: number;
  etag: string;
  last_modified: string;
  headers: ObjectHeaders;
  checksum_algorithm: string | null;
  checksum_value: string | null;
}

export interface PgUploadRow {
  upload_id: string;
  bucket: string;
  key: Buffer;
  initiated_at: string;
  headers: ObjectHeaders;
  checksum_algorithm: string | null;
}

export interface PgPartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  last_modified: string;
  file: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
  holder: string | null;
}

function checksumOf(algorithm: string | null, value: string | null): StoredChecksum | undefined {
  return algorithm !== null && value !== null ? { algorithm, value } : undefined;
}

export function toObject(row: PgObjectRow): S3Object {
  return {
    bucket: row.bucket,
    key: row.key.toString('utf8'),
    fileId: row.file_id,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    headers: row.headers,
    checksum: checksumOf(row.checksum_algorithm, row.checksum_value),
  };
}

export function toUpload(row: PgUploadRow): MultipartUpload {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key.toString('utf8'),
    initiatedAt: row.initiated_at,
    headers: row.headers,
    checksumAlgorithm: row.checksum_algorithm ?? undefined,
  };
}

export function toPart(row: PgPartRow): UploadPart {
  return {
    uploadId: row.upload_id,
    partNumber: row.part_number,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    file: row.file,
    checksum: checksumOf(row.checksum_algorithm, row.checksum_value),
    holder: row.holder ?? undefined,
  };
}

/** The columns of an object row in `INSERT ... VALUES ($1 ... $9)` order. */
export function objectValues(object: S3Object): unknown[] {
  return [
    object.bucket,
    keyBytes(object.key),
    object.fileId,
    object.size,
    object.etag,
    object.lastModified,
    JSON.stringify(object.headers),
    object.checksum?.algorithm ?? null,
    object.checksum?.value ?? null,
  ];
}

/** The columns of a part row in `INSERT ... VALUES ($1 ... $9)` order. */
export function partValues(part: UploadPart): unknown[] {
  return [
    part.uploadId,
    part.partNumber,
    part.size,
    part.etag,
    part.lastModified,
    part.file,
    part.checksum?.algorithm ?? null,
    part.checksum?.value ?? null,
    part.holder ?? null,
  ];
}
