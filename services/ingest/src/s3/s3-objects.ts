import type { Readable } from 'node:stream';
import { declaredMediaType } from '../../../../shared/src/http/content-type.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import { type DeleteFileDeps, deleteFile } from '../uploads/delete-file.ts';
import { displayName } from '../uploads/display-name.ts';
import type { StoredUpload, UploadService } from '../uploads/upload-service.ts';
import type {
  CompleteOutcome,
  ObjectHeaders,
  PutOutcome,
  S3Catalog,
  S3Object,
  UploadPart,
} from './s3-catalog.ts';

export interface S3ObjectsDeps {
  catalog: S3Catalog;
  uploads: UploadService;
  deletes: DeleteFileDeps;
  logger: Logger;
}

/** What an object is besides its bytes and its file: known once the bytes have been read. */
export type ObjectFields = Omit<S3Object, 'fileId' | 'size' | 'lastModified'>;

export type PublishOutcome =
  | { outcome: 'stored'; object: S3Object; parts: UploadPart[] }
  | { outcome: 'no-bucket' | 'precondition-failed' | 'no-upload' };

/**
 * Objects as dfr files, free of HTTP: the bytes go through the upload service like any upload
 * (durable, hashed, replicated), the key is pointed at the new file, and only then is the file
 * the key held before deleted (through delete-file, so every node drops it). A key written twice
 * at once ends with one of the two; the other's file is deleted, never left behind.
 *
 * Not atomic across the two stores: a crash after a file is admitted but before its key is
 * written leaves a file no key names (visible in /files, never served through S3).
 */
export class S3Objects {
  constructor(private readonly deps: S3ObjectsDeps) {}

  /**
   * Streams the bytes of an object into the data directory; durable, not a file yet. The file
   * gets the media type reduced as every upload's is (`text/plain; charset=utf-8` is
   * `text/plain`, which replication commands require); S3 keeps the Content-Type as sent.
   */
  store(key: string, body: Readable, headers: ObjectHeaders): Promise<StoredUpload> {
    const meta = { name: displayName(key), contentType: declaredMediaType(headers.contentType) };
    return this.deps.uploads.store(body, meta);
  }

  /** Drops stored bytes that will not become an object (the request failed after storing them). */
  discard(stored: StoredUpload): Promise<void> {
    return this.deps.uploads.discard(stored);
  }

  /**
   * Makes stored bytes the object `fields` describes: admitted as a file, then committed by
   * `commit` (a put, or the completion of a multipart upload). When the commit refuses, the new
   * file is deleted; when it replaced an object, the old file is.
   */
  async publish(
    stored: StoredUpload,
    fields: ObjectFields,
    commit: (object: S3Object) => Promise<PutOutcome | CompleteOutcome>,
  ): Promise<PublishOutcome> {
    const file = await this.deps.uploads.admit(stored);
    const object: S3Object = {
      ...fields,
      fileId: file.id,
      size: file.size,
      lastModified: new Date().toISOString(),
    };
    const committed = await commit(object).catch(async (err: unknown) => {
      await this.dropFile(file.id);
      throw err;
    });
    if (committed.outcome !== 'stored') {
      await this.dropFile(file.id);
      return { outcome: committed.outcome };
    }
    if (committed.replaced) await this.dropFile(committed.replaced.fileId);
    return { outcome: 'stored', object, parts: 'parts' in committed ? committed.parts : [] };
  }

  /** Removes a key and then its file; false when the key held nothing. */
  async remove(bucket: string, key: string): Promise<boolean> {
    const removed = await this.deps.catalog.deleteObject(bucket, key);
    if (removed) await this.dropFile(removed.fileId);
    return removed !== undefined;
  }

  /** Deletes a file no key points at any more. A failure is logged: the key's change already holds. */
  private async dropFile(fileId: string): Promise<void> {
    try {
      await deleteFile(this.deps.deletes, fileId);
    } catch (err) {
      this.deps.logger.error({ err, fileId }, 'deleting the file of a replaced S3 object failed');
    }
  }
}
