import type { Readable } from 'node:stream';
import { z } from 'zod';
import { FileId, Sha256, Size, Timestamp } from '../messages/common.ts';

/** The receipt kept with each blob, which makes a store self-describing. */
export const BlobRecord = z.object({
  id: FileId,
  sha256: Sha256,
  size: Size,
  storedAt: Timestamp,
  name: z.string().optional(),
  /** The media type declared at upload, when there was one. */
  contentType: z.string().optional(),
});
export type BlobRecord = z.infer<typeof BlobRecord>;

/** The SHA-256 and size of bytes, as a writer that saw them go by computed them. */
export interface Digest {
  sha256: string;
  size: number;
}

export interface PutOptions {
  expectedSha256?: string;
  expectedSize?: number;
  maxBytes?: number;
  name?: string;
  /** Kept in the receipt, for serving the file as it was uploaded. */
  contentType?: string;
}

/** Bytes already in memory, for `putMany`. */
export interface BytesToPut {
  id: string;
  bytes: Buffer;
  options?: PutOptions;
}

export type ByteRange = { start: number; end: number };

/**
 * A store of verified blobs, each with its receipt (the port every copy of a file lives in:
 * ingest's main copies, each node's replicas). Its contract, held by
 * test/integration/blob-store-contract.ts for every adapter:
 * - a blob counts as held only once it is durable and verified against the put's expectations
 *   (IntegrityError, TooLargeError otherwise), and a failed put leaves nothing that is held;
 * - `get` answers a receipt only while the bytes are there with the recorded size; `verify`
 *   re-hashes them; `read` streams them (or an inclusive range), `readVerified` fails a whole
 *   read one chunk short when they no longer match;
 * - `remove` is idempotent; `list` yields every held receipt;
 * - a copy dropped as damaged (`markLost`) is remembered until `forgetLost`, so its loss can be
 *   reported even if reporting fails now, and a new copy of it clears the note.
 */
export interface BlobStore {
  /** Creates what the store needs and sweeps what a crash left behind. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Streams bytes in, verified against the expectations, and records the receipt. */
  put(id: string, source: Readable, options?: PutOptions): Promise<BlobRecord>;
  /** `put` for many files in memory: one outcome per file, in order, its receipt or its error. */
  putMany(files: readonly BytesToPut[]): Promise<(BlobRecord | Error)[]>;
  /**
   * `put` for bytes already complete and fsynced in a file on the store's filesystem; the file
   * stays where it is, for its owner to remove once the blob is recorded. `digest`, from a
   * writer that hashed the bytes as they arrived, spares hashing them again.
   */
  adopt(
    id: string,
    path: string,
    options?: PutOptions & { digest?: Digest | undefined },
  ): Promise<BlobRecord>;
  get(id: string): Promise<BlobRecord | undefined>;
  verify(id: string): Promise<boolean>;
  read(id: string, range?: ByteRange): Readable;
  readVerified(
    expected: { id: string; sha256: string; size: number },
    range: ByteRange | undefined,
    onMismatch: () => void,
  ): Readable;
  remove(id: string): Promise<void>;
  list(): AsyncGenerator<BlobRecord>;
  markLost(id: string, reason: string): Promise<void>;
  lost(): Promise<{ id: string; reason: string }[]>;
  forgetLost(id: string): Promise<void>;
}
