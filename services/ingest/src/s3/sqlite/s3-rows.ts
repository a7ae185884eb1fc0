import type { MultipartUpload, ObjectHeaders, S3Object, StoredChecksum, UploadPart } from '../s3-catalog.ts';

/** An `s3_objects` row as the engines read it: the key as its UTF-8 bytes. */
export interface ObjectRow {
  bucket: string;
  key: Buffer;
  file_id: string;
  size: number;
  etag: string;
  last_modified: string;
  headers: string;
  checksum_algorithm: string | null;
  checksum_value: string | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: Buffer;
  initiated_at: string;
  headers: string;
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

function headersOf(json: string): ObjectHeaders {
  return JSON.parse(json) as ObjectHeaders;
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
