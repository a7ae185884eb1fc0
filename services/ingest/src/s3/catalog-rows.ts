import { keyBytes } from './key-order.ts';
import type { MultipartUpload, ObjectHeaders, S3Object, StoredChecksum, UploadPart } from './s3-catalog.ts';

/**
 * The S3 catalog's rows as both engines read them, with the same columns: the key as its UTF-8
 * bytes, the headers as JSON (text in SQLite, already parsed from jsonb by PostgreSQL's pool).
 */
export interface ObjectRow {
  bucket: string;
  key: Buffer;
  file_id: string;
  size: number;
  etag: string;
  last_modified: string;
  headers: string | ObjectHeaders;
  checksum_algorithm: string | null;
  checksum_value: string | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: Buffer;
  initiated_at: string;
  headers: string | ObjectHeaders;
  checksum_algorithm: string | null;
}

export interface PartRow {
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

function headersOf(headers: string | ObjectHeaders): ObjectHeaders {
  return typeof headers === 'string' ? (JSON.parse(headers) as ObjectHeaders) : headers;
}

export function toObject(row: ObjectRow): S3Object {
  return {
    bucket: row.bucket,
    key: row.key.toString('utf8'),
    fileId: row.file_id,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    headers: headersOf(row.headers),
    checksum: checksumOf(row.checksum_algorithm, row.checksum_value),
  };
}

export function toUpload(row: UploadRow): MultipartUpload {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key.toString('utf8'),
    initiatedAt: row.initiated_at,
    headers: headersOf(row.headers),
    checksumAlgorithm: row.checksum_algorithm ?? undefined,
  };
}

export function toPart(row: PartRow): UploadPart {
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

/**
 * An object row's columns in the order `bucket, key, file_id, size, etag, last_modified, headers,
 * checksum_algorithm, checksum_value`.
 */
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

/**
 * A part row's columns in the order `upload_id, part_number, size, etag, last_modified, file,
 * checksum_algorithm, checksum_value, holder`.
 */
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
