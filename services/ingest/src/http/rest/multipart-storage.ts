import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { BlobRecord, BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { TooLargeError } from '../../../shared/src/fs/hashing-stream.ts';
import { declaredMediaType } from '../../../shared/src/http/content-type.ts';
import { displayName } from './display-name.ts';

/** What the storage engine leaves on `req.file` besides multer's own fields. */
export interface StoredUpload {
  record: BlobRecord;
  contentType: string | undefined;
}

/** What the multipart route hangs on the request before multer reads the body. */
export interface UploadState {
  /** Chosen before the bytes arrive, so the blob's path never depends on anything the client sent. */
  fileId: string;
  /** Answers at once with this error rather than after multer has drained the rest of the body. */
  refuse(err: unknown): void;
}

export type UploadRequest = Request & { upload?: UploadState };

/**
 * A multer storage engine that streams the file part straight into the blob store: hashed on
 * the way, written to a temporary file, fsynced and renamed. multer's diskStorage has neither
 * the temporary file nor the hash.
 */
export function blobStorage(store: BlobStore, maxBytes: number): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const upload = (req as UploadRequest).upload;
      if (!upload) {
        callback(new Error('upload has no file id'));
        return;
      }
      // busboy truncates at the limit and emits 'limit'; fail the write instead of keeping a prefix.
      file.stream.on('limit', () => file.stream.destroy(new TooLargeError(maxBytes)));
      store
        .put(upload.fileId, file.stream, { maxBytes, name: displayName(file.originalname) })
        .then((record) => {
          const stored: StoredUpload = { record, contentType: declaredMediaType(file.mimetype) };
          callback(null, { size: record.size, ...stored } as Partial<Express.Multer.File>);
        })
        .catch((err: unknown) => {
          // The temporary file is already gone, so the 413 need not wait for the rest of the body.
          if (err instanceof TooLargeError) upload.refuse(err);
          callback(err as Error);
        });
    },
    _removeFile(req, _file, callback) {
      const id = (req as UploadRequest).upload?.fileId;
      if (!id) {
        callback(null);
        return;
      }
      store.remove(id).then(
        () => callback(null),
        (err: unknown) => callback(err as Error),
      );
    },
  };
}
