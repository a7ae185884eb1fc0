import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The temp + fsync + rename discipline of atomic-write.ts, synchronous, for a few KiB already in
 * memory. On a busy two-core machine a small file's dozen asynchronous fs calls cost more in
 * hand-offs to libuv's threads and back than the calls themselves (docs/BENCHMARKS.md); done
 * here they block the event loop for about a millisecond per file, fsyncs included.
 */
export function writeBytesAtomicallySync(
  target: string,
  data: Buffer | string,
  tmpDir: string,
  options: { syncDirectory: boolean },
): void {
  const tmp = join(tmpDir, `${randomUUID()}.part`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeAllSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    ensureDirectorySync(dirname(target));
    renameSync(tmp, target);
    if (options.syncDirectory) fsyncDirectorySync(dirname(target));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes all of `data` at the file's current position (a write may take only part of it). */
export function writeAllSync(fd: number, data: Buffer | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written);
}

/** Like ensureDirectory in atomic-write.ts: a new directory's entry is fsynced into its parent. */
export function ensureDirectorySync(dir: string): void {
  const firstCreated = mkdirSync(dir, { recursive: true });
  if (firstCreated === undefined) return;
  let current = dir;
  while (current !== dirname(firstCreated)) {
    fsyncDirectorySync(dirname(current));
    current = dirname(current);
  }
}

function fsyncDirectorySync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
