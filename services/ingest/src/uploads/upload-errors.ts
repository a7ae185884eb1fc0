import multer from 'multer';
import { AppError } from '../../../../shared/src/errors.ts';
import { IntegrityError } from '../../../../shared/src/fs/atomic-write.ts';
import { TooLargeError } from '../../../../shared/src/fs/hashing-stream.ts';

/** What each multer refusal tells the client; LIMIT_FILE_SIZE is a 413, the rest are 400. */
const MULTER_MESSAGES: Record<string, string> = {
  LIMIT_PART_COUNT: 'too many parts in the form',
  LIMIT_FILE_COUNT: 'send exactly one file, in field "file"',
  LIMIT_UNEXPECTED_FILE: 'send the file in field "file" and no other file',
  LIMIT_FIELD_KEY: 'a field name is too long',
  LIMIT_FIELD_VALUE: 'a field value is too long',
  LIMIT_FIELD_COUNT: 'too many fields in the form',
  LIMIT_FIELD_NESTING: 'a field name is nested too deeply',
  LIMIT_FIELD_ARRAY_INDEX: 'a field name has too large an array index',
  MISSING_FIELD_NAME: 'a form part has no field name',
  INVALID_FIELD_NAME: 'a field name is invalid',
};

/** Turns what streaming an upload can throw into the API's errors; anything unknown stays a 500. */
export function uploadError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof TooLargeError)
    return new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${err.limitBytes} bytes`);
  if (err instanceof IntegrityError) return new AppError('BAD_REQUEST', err.message);
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') return new AppError('PAYLOAD_TOO_LARGE', 'file is too large');
    return new AppError('MALFORMED_UPLOAD', MULTER_MESSAGES[err.code] ?? 'malformed multipart body');
  }
  if (isStorageFull(err))
    return new AppError(
      'STORAGE_UNAVAILABLE',
      'the data directory cannot take this file now; nothing was kept',
    );
  if (isClientAbort(err))
    return new AppError('CLIENT_CLOSED', 'client closed the connection during the upload');
  if (err instanceof Error && /multipart|boundary|part header|end of form/i.test(err.message)) {
    return new AppError('MALFORMED_UPLOAD', 'malformed multipart body');
  }
  return err;
}

/** No space, no quota, or a read-only filesystem: the service's problem, not the request's. */
function isStorageFull(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'EROFS')
  );
}

function isClientAbort(err: unknown): boolean {
  if (err instanceof Error && /^Request (aborted|closed)$/.test(err.message)) return true;
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNABORTED')
  );
}
