/** Stable error codes of the HTTP API, each with its status. One table, used by every service. */
export const ErrorStatus = {
  BAD_REQUEST: 400,
  INVALID_ID: 400,
  MISSING_FILE: 400,
  MALFORMED_UPLOAD: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  REQUEST_TIMEOUT: 408,
  /** The node still holds copies some file needs: drain it first. */
  NODE_IN_USE: 409,
  /** A resumable upload is not at the offset the request writes at (tus: 409). */
  OFFSET_MISMATCH: 409,
  /** A resumable upload that expired; it is swept soon (tus: 410). */
  UPLOAD_EXPIRED: 410,
  /** A protocol version this service does not speak (tus: 412, with Tus-Version). */
  UNSUPPORTED_VERSION: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  /** Another request is writing to this resumable upload right now (tus: 423). */
  UPLOAD_LOCKED: 423,
  HEADERS_TOO_LARGE: 431,
  /** The bytes did not match the checksum sent with them; they were discarded (tus: 460). */
  CHECKSUM_MISMATCH: 460,
  CLIENT_CLOSED: 499,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  NOT_READY: 503,
  /** The store is full or read-only: nothing was kept, and the client may try again later. */
  STORAGE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ErrorStatus;

/** An error meant for a boundary: a stable code, its HTTP status, a sentence safe to show. */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ErrorStatus[code];
  }
}

/** What was thrown, as an Error (a thrown non-Error becomes one with its text). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
