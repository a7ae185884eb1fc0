import { randomUUID } from 'node:crypto';
import { closeSync, fsync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { asError } from '../errors.ts';
import { fsyncDirectory } from './atomic-write.ts';
import { ensureDirectorySync, writeAllSync } from './atomic-write-sync.ts';

const fsyncAsync = promisify(fsync);

/** One file to write: where it lands and its bytes. */
export interface FileWrite {
  target: string;
  data: Buffer | string;
}

/**
 * The discipline of atomic-write-sync.ts (temp file, fsync, rename, fsync of the directory) for
 * many small files at once. The writes and renames stay synchronous, for the reason given there;
 * the fsyncs are issued together, on libuv's threads: a journalling file system commits
 * concurrent fsyncs in one journal commit, so a batch waits on the disk far less than the same
 * files one after another (docs/BENCHMARKS.md).
 *
 * Each entry is a set of files that land together, renamed in order, and only if every one of
 * them was written and fsynced. Resolves with one outcome per entry: undefined once its files
 * are durable in place, else the error. A failed entry leaves no temporary file behind.
 */
export async function writeEntriesAtomically(
  entries: readonly (readonly FileWrite[])[],
  tmpDir: string,
): Promise<(Error | undefined)[]> {
  const outcomes: (Error | undefined)[] = entries.map(() => undefined);
  const temps: Temp[] = [];
  for (const [entry, files] of entries.entries()) {
    for (const file of files) {
      const temp = writeTemp(entry, file, tmpDir);
      if (temp instanceof Error) {
        outcomes[entry] ??= temp;
        break;
      }
      temps.push(temp);
    }
  }
  await Promise.all(
    temps.map(async (temp) => {
      try {
        await fsyncAsync(temp.fd);
      } catch (err) {
        outcomes[temp.entry] ??= asError(err);
      } finally {
        closeSync(temp.fd);
      }
    }),
  );
  // Every directory of an entry exists before any of its files moves, so the one failure a
  // rename of a fsynced temp file meets in practice (no such folder) leaves the entry untouched.
  for (const temp of temps) {
    if (outcomes[temp.entry]) continue;
    try {
      ensureDirectorySync(dirname(temp.file.target));
    } catch (err) {
      outcomes[temp.entry] = asError(err);
    }
  }
  const directories = new Map<string, number[]>();
  for (const temp of temps) {
    if (outcomes[temp.entry]) {
      rmSync(temp.path, { force: true });
      continue;
    }
    try {
      renameSync(temp.path, temp.file.target);
      const directory = dirname(temp.file.target);
      directories.set(directory, [...(directories.get(directory) ?? []), temp.entry]);
    } catch (err) {
      // Rare (say EIO): an earlier file of the entry may stay in place, never a later one.
      rmSync(temp.path, { force: true });
      outcomes[temp.entry] ??= asError(err);
    }
  }
  await Promise.all(
    [...directories].map(async ([directory, entriesInside]) => {
      try {
        await fsyncDirectory(directory);
      } catch (err) {
        // The renames happened but are not known to be durable: those entries do not count.
        for (const entry of entriesInside) outcomes[entry] ??= asError(err);
      }
    }),
  );
  return outcomes;
}

interface Temp {
  entry: number;
  file: FileWrite;
  path: string;
  fd: number;
}

function writeTemp(entry: number, file: FileWrite, tmpDir: string): Temp | Error {
  const path = join(tmpDir, `${randomUUID()}.part`);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx');
    writeAllSync(fd, file.data);
    return { entry, file, path, fd };
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(path, { force: true });
    return asError(err);
  }
}
