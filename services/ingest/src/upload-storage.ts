import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { BlobRecord, BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { TooLargeError } from '../../../shared/src/fs/hashing-stream.ts';
import { displayName } from './display-name.ts';

/** What the storage engine leaves on `req.file` besides multer's own fields. */
export interface StoredUpload {
  record: BlobRecord;
}

/** The id chosen for an upload before its bytes arrive; set by the route. */
export type RequestWithFileId = Request & { fileId?: string };

/**
 * A multer storage engine that streams the file part straight into the blob store: hashed on
 * the way, written to a temporary file, fsynced and renamed. multer's diskStorage has neither
 * the temporary file nor the hash.
 */
export function blobStorage(store: BlobStore, maxBytes: number): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const id = (req as RequestWithFileId).fileId;
      if (!id) {
        callback(new Error('upload has no file id'));
        return;
      }
      // busboy truncates at the limit and emits 'limit'; fail the write instead of keeping a prefix.
      file.stream.on('limit', () => file.stream.destroy(new TooLargeError(maxBytes)));
      store
        .put(id, file.stream, { maxBytes, name: displayName(file.originalname) })
        .then((record) => callback(null, { size: record.size, record } as Partial<Express.Multer.File>))
        .catch((err: unknown) => callback(err as Error));
    },
    _removeFile(req, _file, callback) {
      const id = (req as RequestWithFileId).fileId;
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
