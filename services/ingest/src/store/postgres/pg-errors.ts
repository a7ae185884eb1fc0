import pg from 'pg';
import { AppError } from '../../../../../shared/src/errors.ts';

/**
 * SQLSTATE classes and codes that say "the database cannot take this now", not "this request
 * is wrong": connection exceptions (08), too many connections or a full disk (53), the server
 * shutting down or starting (57P0x), a read-only server or transaction (25006), and
 * serialization failures or deadlocks (40001, 40P01), which a retry resolves.
 */
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '25006', '40001', '40P01']);

/** Socket-level failures node-postgres reports as plain Errors (no SQLSTATE). */
const CONNECTION_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|not queryable/i;

/** True when `err` means the database is unreachable or refuses writes, rather than a bug. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? '';
    return UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) || UNAVAILABLE_CODES.has(code);
  }
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return CONNECTION_FAILURE.test(code) || CONNECTION_FAILURE.test(err.message);
}

/**
 * The service's view of a database failure: an unreachable or read-only PostgreSQL becomes
 * `STORAGE_UNAVAILABLE` (HTTP 503; the transaction, if any, was rolled back, so the client may
 * try again), anything else is left as it is (a bug, HTTP 500).
 */
export function storageError(err: unknown): unknown {
  if (err instanceof AppError || !isUnavailable(err)) return err;
  return new AppError(
    'STORAGE_UNAVAILABLE',
    'the metadata database cannot be reached or written now; nothing was changed',
    { cause: err },
  );
}
