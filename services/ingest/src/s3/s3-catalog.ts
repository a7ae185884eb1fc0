/** A bucket: a name space of keys. */
export interface Bucket {
  name: string;
  /** ISO 8601. */
  createdAt: string;
}

/** What S3 keeps with an object and answers GET and HEAD with, besides the bytes. */
export interface ObjectHeaders {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  contentDisposition?: string | undefined;
  contentLanguage?: string | undefined;
  cacheControl?: string | undefined;
  expires?: string | undefined;
  /** `x-amz-meta-*`: lower-case names without the prefix, values as sent. */
  metadata: Record<string, string>;
}

/** A flexible checksum (`x-amz-checksum-<algorithm>`), base64. */
export interface StoredChecksum {
  algorithm: string;
  value: string;
}

/** A key of a bucket, pointing at the file holding its bytes. */
export interface S3Object {
  bucket: string;
  key: string;
  /** The dfr file (status, replicas, `/files/<id>`). */
  fileId: string;
  size: number;
  /** Without quotes: the MD5 of the bytes, or `<md5 of the part MD5s>-<parts>`. */
  etag: string;
  /** ISO 8601. */
  lastModified: string;
  headers: ObjectHeaders;
  /** The whole object's checksum, when the client sent one with a single-part upload. */
  checksum?: StoredChecksum | undefined;
}

/** A multipart upload under way. Upload ids sort by the time they were made. */
export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  /** ISO 8601. */
  initiatedAt: string;
  /** What the object will be served with once complete. */
  headers: ObjectHeaders;
  checksumAlgorithm?: string | undefined;
}

/** One uploaded part. `file` names its bytes in the part store; the catalog does not look inside. */
export interface UploadPart {
  uploadId: string;
  partNumber: number;
  size: number;
  /** Without quotes: the part's MD5. */
  etag: string;
  lastModified: string;
  file: string;
  checksum?: StoredChecksum | undefined;
  /**
   * The ingest instance whose data directory holds the bytes (its instance id); undefined for
   * parts recorded before instances were told apart, which are the only instance's own.
   */
  holder?: string | undefined;
}

/** An S3 conditional write: `If-None-Match: *`, or `If-Match: <etag>`. */
export type WriteCondition = { ifNoneMatch: true } | { ifMatch: string };

export type PutOutcome =
  | { outcome: 'stored'; replaced: S3Object | undefined }
  | { outcome: 'no-bucket' }
  | { outcome: 'precondition-failed' };

export type CompleteOutcome =
  | { outcome: 'stored'; replaced: S3Object | undefined; parts: UploadPart[] }
  | { outcome: 'no-upload' }
  | { outcome: 'precondition-failed' };

/** Where a listing resumes: after `key`, or after every key that starts with it (a common prefix). */
export interface ListAfter {
  key: string;
  wholePrefix: boolean;
}

/**
 * The S3 front end's own state: buckets, keys (each pointing at a dfr file, with its ETag and
 * headers), and multipart uploads with their parts. The bytes are elsewhere: objects are files
 * of the MetadataStore, parts are files of the part store.
 *
 * Keys compare as UTF-8 bytes, the order S3 lists them in (an adapter stores them as bytes, or
 * as text under a binary collation). Each write is one transaction, durable when it resolves.
 * Adapters: SQLite (s3/sqlite, on ingest's metadata database) and PostgreSQL (s3/postgres,
 * shared by every ingest instance on that database); every adapter passes
 * test/integration/s3-catalog-contract.ts.
 */
export interface S3Catalog {
  /** False when the bucket exists already. */
  createBucket(bucket: Bucket): Promise<boolean>;
  getBucket(name: string): Promise<Bucket | undefined>;
  /** By name. */
  listBuckets(): Promise<Bucket[]>;
  /**
   * Deletes an empty bucket, and with it the multipart uploads still under way in it, whose parts
   * it returns so their bytes can be removed.
   */
  deleteBucket(
    name: string,
  ): Promise<{ outcome: 'deleted'; parts: UploadPart[] } | { outcome: 'missing' | 'not-empty' }>;

  /** Writes a key (replacing what it held, which it returns), if the bucket exists and the condition holds. */
  putObject(object: S3Object, condition?: WriteCondition): Promise<PutOutcome>;
  getObject(bucket: string, key: string): Promise<S3Object | undefined>;
  /** Removes a key; returns what it held. */
  deleteObject(bucket: string, key: string): Promise<S3Object | undefined>;
  /** Up to `limit` objects whose keys start with `prefix`, after `after`, in key order. */
  listObjects(
    bucket: string,
    query: { prefix: string; after?: ListAfter | undefined; limit: number },
  ): Promise<S3Object[]>;

  /** False when the bucket does not exist. */
  createUpload(upload: MultipartUpload): Promise<boolean>;
  getUpload(uploadId: string): Promise<MultipartUpload | undefined>;
  /** Up to `limit` uploads whose keys start with `prefix`, after the marker, by key then upload id. */
  listUploads(
    bucket: string,
    query: {
      prefix: string;
      after?: { key: string; uploadId?: string | undefined } | undefined;
      limit: number;
    },
  ): Promise<MultipartUpload[]>;
  /** Up to `limit` uploads started before `beforeIso`, oldest first (for expiry). */
  uploadsStartedBefore(beforeIso: string, limit: number): Promise<MultipartUpload[]>;
  /** Records a part (replacing the one of that number, which it returns); undefined when the upload is gone. */
  putPart(part: UploadPart): Promise<{ replaced: UploadPart | undefined } | undefined>;
  /** Up to `limit` parts numbered above `afterPartNumber`, in order. */
  listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<UploadPart[]>;
  /**
   * Ends an upload as an object, in one transaction: the object is written (as putObject), the
   * upload and its part records removed and returned, so their bytes can go.
   */
  completeUpload(uploadId: string, object: S3Object, condition?: WriteCondition): Promise<CompleteOutcome>;
  /** Removes an upload; returns its parts, or undefined when it did not exist. */
  deleteUpload(uploadId: string): Promise<UploadPart[] | undefined>;

  close(): Promise<void>;
}
