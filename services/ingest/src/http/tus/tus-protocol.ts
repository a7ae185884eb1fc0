import type { Request } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import type { ChecksumAlgorithm } from '../../uploads/resumable/resumable-uploads.ts';

/** The one protocol version spoken (Tus-Resumable, Tus-Version). */
export const TUS_VERSION = '1.0.0';
/** Exactly the extensions implemented, as OPTIONS lists them in Tus-Extension. */
export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum'];
/** Tus-Checksum-Algorithm: what Upload-Checksum may name. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha1', 'sha256'];
/** The media type of every body that carries upload bytes. */
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

const UNSIGNED = /^\d{1,16}$/;

/** A non-negative integer header (Upload-Offset, Upload-Length); 400 when missing or malformed. */
export function unsignedHeader(req: Request, name: string): number {
  const value = req.get(name);
  const number = value !== undefined && UNSIGNED.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) {
    throw new AppError('BAD_REQUEST', `${name} must be a non-negative integer`);
  }
  return number;
}

/**
 * How many body bytes the request carries: 0 when it declares none, undefined when it streams
 * them (chunked) without saying how many.
 */
export function bodyLength(req: Request): number | undefined {
  if (req.get('transfer-encoding') !== undefined) return undefined;
  const length = req.get('content-length');
  return length === undefined ? 0 : Number(length);
}

/** 415 unless the body is declared as upload bytes. */
export function requireOffsetStream(req: Request): void {
  const type = req.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== OFFSET_OCTET_STREAM) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `upload bytes must be sent as ${OFFSET_OCTET_STREAM}`);
  }
}

/** An HTTP date (Upload-Expires), from an ISO timestamp. */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
