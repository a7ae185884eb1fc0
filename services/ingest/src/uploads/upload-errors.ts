import { AppError } from '../../../../shared/src/errors.ts';
import { IntegrityError } from '../../../../shared/src/fs/atomic-write.ts';
import { TooLargeError } from '../../../../shared/src/fs/hashing-stream.ts';

/**
 * Turns what storing an upload's bytes can throw into the service's error codes, which every
 * front end renders in its own protocol; anything unknown stays as it is (a 500 at the edge).
 */
export function uploadError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof TooLargeError)
    return new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${err.limitBytes} bytes`, {
      cause: err,
    });
  if (err instanceof IntegrityError) return new AppError('BAD_REQUEST', err.message, { cause: err });
  if (isStorageFull(err))
    return new AppError(
      'STORAGE_UNAVAILABLE',
      'the data directory cannot take this file now; nothing was kept',
      {
        cause: err,
      },
    );
  if (isClientAbort(err))
    return new AppError('CLIENT_CLOSED', 'client closed the connection during the upload', { cause: err });
  return err;
}

/** No space, no quota, or a read-only filesystem: the service's problem, not the request's. */
function isStorageFull(err: unknown): boolean {
  return hasCode(err, ['ENOSPC', 'EDQUOT', 'EROFS']);
}

function isClientAbort(err: unknown): boolean {
  if (err instanceof Error && /^Request (aborted|closed)$/.test(err.message)) return true;
  return hasCode(err, ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED']);
}

function hasCode(err: unknown, codes: readonly string[]): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    codes.includes(String((err as { code: unknown }).code))
  );
}
