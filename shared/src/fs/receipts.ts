import { createHash } from 'node:crypto';
import { FileId } from '../messages/common.ts';
import { checkDigest } from './atomic-write.ts';
import { BlobRecord, type Digest, type PutOptions } from './blob-store.ts';
import { TooLargeError } from './hashing-stream.ts';

/** The receipt of bytes just stored with this digest. */
export function receiptFor(id: string, digest: Digest, { name, contentType }: PutOptions): BlobRecord {
  return {
    id,
    sha256: digest.sha256,
    size: digest.size,
    storedAt: new Date().toISOString(),
    ...(name !== undefined ? { name } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

/** The digest of bytes in memory. */
export function digestOf(bytes: Buffer): Digest {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

/** The receipt for bytes in memory, once they pass `options`' checks (else it throws). */
export function checkedReceipt(id: string, bytes: Buffer, options: PutOptions): BlobRecord {
  FileId.parse(id);
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new TooLargeError(options.maxBytes);
  }
  const digest = digestOf(bytes);
  checkDigest(digest, options);
  return receiptFor(id, digest, options);
}

/** A receipt's text parsed and checked, or undefined when it is missing or not a receipt. */
export function parseRecord(text: string | undefined): BlobRecord | undefined {
  if (text === undefined) return undefined;
  try {
    return BlobRecord.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}
