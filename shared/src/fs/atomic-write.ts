import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from './hashing-stream.ts';
import { Writeback } from './writeback.ts';

/** The bytes written did not match what the writer was told to expect. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

export interface AtomicWriteOptions {
  /** Directory for the temporary file; must be on the same filesystem as the target. */
  tmpDir: string;
  expectedSha256?: string;
  expectedSize?: number;
  maxBytes?: number;
  /**
   * Fsync the target's directory after the rename (default true). A caller that renames a
   * second file into the same directory right after may skip it and sync once for both.
   */
  syncDirectory?: boolean;
}

/**
 * Streams `source` into a temporary file while hashing it, checks size and SHA-256 against what
 * was expected, fsyncs, renames into place and fsyncs the directory. A reader therefore sees
 * either nothing or the complete, verified file; on any failure the temporary file is removed.
 */
export async function writeAtomically(
  source: Readable,
  target: string,
  options: AtomicWriteOptions,
): Promise<{ sha256: string; size: number }> {
  const tmp = join(options.tmpDir, `${randomUUID()}.part`);
  try {
    const hashing = new HashingStream(options.maxBytes);
    const handle = await open(tmp, 'wx');
    // flush: fsync before close, so the bytes are on disk before the rename can expose them. Up to
    // 512 KiB queue while a write is under way and then go in one writev: a socket's 64 KiB
    // chunks written one by one cost more in hand-offs to libuv's threads than the writes.
    const file = createWriteStream(tmp, { fd: handle, flush: true, highWaterMark: 512 * 1024 });
    await pipeline(source, hashing, new Writeback(handle), file);
    const digest = hashing.digest();
    checkDigest(digest, options);
    await ensureDirectory(dirname(target));
    await rename(tmp, target);
    if (options.syncDirectory !== false) await fsyncDirectory(dirname(target));
    return digest;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Throws IntegrityError when the bytes' size or SHA-256 is not what was expected. */
export function checkDigest(
  digest: { sha256: string; size: number },
  expected: { expectedSha256?: string | undefined; expectedSize?: number | undefined },
): void {
  if (expected.expectedSize !== undefined && digest.size !== expected.expectedSize) {
    throw new IntegrityError(`expected ${expected.expectedSize} bytes, got ${digest.size}`);
  }
  if (expected.expectedSha256 !== undefined && digest.sha256 !== expected.expectedSha256) {
    throw new IntegrityError(`expected SHA-256 ${expected.expectedSha256}, got ${digest.sha256}`);
  }
}

/** Writes a small buffer with the same temp + fsync + rename discipline. */
export async function writeFileAtomically(
  target: string,
  data: Buffer | string,
  tmpDir: string,
): Promise<void> {
  const tmp = join(tmpDir, `${randomUUID()}.part`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await ensureDirectory(dirname(target));
    await rename(tmp, target);
    await fsyncDirectory(dirname(target));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Creates a directory if needed; a new directory's own entry is fsynced into its parent, or a
 * power cut could lose the directory and every file renamed into it.
 */
export async function ensureDirectory(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  let current = dir;
  while (current !== dirname(firstCreated)) {
    await fsyncDirectory(dirname(current));
    current = dirname(current);
  }
}

/** Makes a rename durable: the directory entry must reach the disk too. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
