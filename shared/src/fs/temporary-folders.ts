import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

const TMP_SEPARATOR = '~';

/** A temporary file untouched this long belongs to no live copy. */
export const STALE_TMP_MS = 60_000;

/** Temporary folders of the stores open in this process. */
const liveTmpFolders = new Set<string>();

/** A name for this process's own temporary folder: `<host>~<pid>~<nonce>`. */
export function ownTmpFolderName(): string {
  const name = [hostname(), process.pid, randomBytes(4).toString('hex')].join(TMP_SEPARATOR);
  liveTmpFolders.add(name);
  return name;
}

/** True when a temporary folder's name says it belongs to a process of this host that is gone. */
function ownerIsDead(folder: string): boolean {
  const [host, pidText] = folder.split(TMP_SEPARATOR);
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  // Our pid but no store of ours: a previous life of this process (pid 1 in a container).
  if (pid === process.pid) return !liveTmpFolders.has(folder);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes what dead writers left in `tmpRoot`; returns how many entries went. Several processes
 * may share a store, each writing in its own folder: a folder of a process of this host that no
 * longer runs goes at once, anything else once untouched for olderThanMs (a writing copy touches
 * its folder with every file it creates). `own` is never removed.
 */
export async function sweepTemporaryFolders(
  tmpRoot: string,
  own: string,
  olderThanMs: number,
): Promise<number> {
  const entries = await readdir(tmpRoot).catch(() => [] as string[]);
  let removed = 0;
  for (const entry of entries) {
    const path = join(tmpRoot, entry);
    if (path === own) continue;
    const info = await stat(path).catch(() => undefined);
    if (!info) continue;
    if (ownerIsDead(entry) || Date.now() - info.mtimeMs >= olderThanMs) {
      await rm(path, { force: true, recursive: true });
      removed += 1;
    }
  }
  return removed;
}
