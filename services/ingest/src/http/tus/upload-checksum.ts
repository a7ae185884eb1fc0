import { AppError } from '../../../../../shared/src/errors.ts';
import type { ChecksumAlgorithm } from '../../uploads/resumable/resumable-uploads.ts';
import { CHECKSUM_ALGORITHMS } from './tus-protocol.ts';

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { sha1: 20, sha256: 32 };
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Upload-Checksum: `<algorithm> <base64 digest>` of the request's body. An algorithm not in
 * Tus-Checksum-Algorithm, or a digest of the wrong length, is a 400 (as the checksum extension
 * requires), answered before any byte is read.
 */
export function parseUploadChecksum(
  header: string | undefined,
): { algorithm: ChecksumAlgorithm; digest: Buffer } | undefined {
  if (header === undefined) return undefined;
  const [name = '', value = '', ...rest] = header.trim().split(/ +/);
  const algorithm = CHECKSUM_ALGORITHMS.find((known) => known === name.toLowerCase());
  if (!algorithm) {
    throw new AppError(
      'BAD_REQUEST',
      `Upload-Checksum algorithm must be one of ${CHECKSUM_ALGORITHMS.join(', ')}`,
    );
  }
  const digest = Buffer.from(value, 'base64');
  if (rest.length > 0 || !BASE64.test(value) || digest.length !== DIGEST_BYTES[algorithm]) {
    throw new AppError('BAD_REQUEST', `Upload-Checksum must be "${algorithm} <base64 digest>"`);
  }
  return { algorithm, digest };
}
