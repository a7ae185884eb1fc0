import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { AppError } from '../../../../../shared/src/errors.ts';
import { TooLargeError } from '../../../../../shared/src/fs/hashing-stream.ts';
import { declaredMediaType } from '../../../../../shared/src/http/content-type.ts';
import { displayName } from '../../uploads/display-name.ts';
import type { StoredUpload, UploadService } from '../../uploads/upload-service.ts';

/** What the multipart route hangs on the request before multer reads the body. */
export interface UploadState {
  /** The file part's bytes, once durable in the data directory. */
  stored?: StoredUpload;
  /** Answers at once with this error rather than after multer has drained the rest of the body. */
  refuse(err: unknown): void;
}

export type UploadRequest = Request & { upload?: UploadState };

/**
 * A multer storage engine that streams the file part into the data directory through the upload
 * service: hashed on the way, written to a temporary file, fsynced and renamed. multer's
 * diskStorage has neither the temporary file nor the hash.
 */
export function uploadStorage(uploads: UploadService, maxBytes: number): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const upload = (req as UploadRequest).upload;
      if (!upload) {
        callback(new Error('multipart upload without its state'));
        return;
      }
      // busboy truncates at the limit and emits 'limit'; fail the write instead of keeping a prefix.
      file.stream.on('limit', () => file.stream.destroy(new TooLargeError(maxBytes)));
      const meta = { name: displayName(file.originalname), contentType: declaredMediaType(file.mimetype) };
      uploads.store(file.stream, meta).then(
        (stored) => {
          upload.stored = stored;
          callback(null, { size: stored.record.size });
        },
        (err: unknown) => {
          // The temporary file is already gone, so the 413 need not wait for the rest of the body.
          if (err instanceof AppError && err.code === 'PAYLOAD_TOO_LARGE') upload.refuse(err);
          callback(err as Error);
        },
      );
    },
    _removeFile(req, _file, callback) {
      const upload = (req as UploadRequest).upload;
      const stored = upload?.stored;
      if (!upload || !stored) {
        callback(null);
        return;
      }
      upload.stored = undefined;
      uploads.discard(stored).then(
        () => callback(null),
        (err: unknown) => callback(err as Error),
      );
    },
  };
}
