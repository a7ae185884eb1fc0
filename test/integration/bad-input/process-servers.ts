import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ServiceProcess, startService } from '../../support/processes.ts';
import { API_TOKEN, CLUSTER_TOKEN } from './harness.ts';

const run = promisify(execFile);

/** Under 1 MiB, and over what curl sends at once before --limit-rate holds it back (64 KiB). */
export const EDGE_MAX_UPLOAD_BYTES = 512 * 1024;
/** The cutoff server's linger budget, short so that tests can wait it out. */
export const CUTOFF_LINGER = { timeMs: 2_000, idleMs: 400, maxBytes: 8 * 1024 * 1024 };
/** What the full server's data directory has left during a case: less than its 1 MiB uploads. */
const FULL_FREE_BYTES = 512 * 1024;
/** Its tmpfs otherwise, with room for the normal uploads between cases. */
const TMPFS_SIZE = '16m';

/**
 * Ingest servers run as their own processes (`node dist/ingest.mjs`), as in production, since a
 * client in the server's own process reads answers too promptly to meet a reset. edge: default
 * linger budget, tokens, a small upload limit and a short request deadline. cutoff: a short
 * linger budget. full: a data directory on a tmpfs that whileFull fills for one case.
 */
export type ProcessServerName = 'edge' | 'cutoff' | 'full';

const ENV: Record<ProcessServerName, Record<string, string>> = {
  edge: { DFR_MAX_UPLOAD_BYTES: String(EDGE_MAX_UPLOAD_BYTES), DFR_REQUEST_TIMEOUT_MS: '600' },
  cutoff: {
    DFR_LINGER_TIME_MS: String(CUTOFF_LINGER.timeMs),
    DFR_LINGER_IDLE_MS: String(CUTOFF_LINGER.idleMs),
    DFR_LINGER_MAX_BYTES: String(CUTOFF_LINGER.maxBytes),
  },
  full: {},
};

export function startIngestProcess(
  name: ProcessServerName,
  dataDir: string,
  amqp: { url: string; prefix: string },
): Promise<ServiceProcess> {
  return startService('ingest', `ingest-${name}`, [], {
    AMQP_URL: amqp.url,
    DFR_AMQP_PREFIX: amqp.prefix,
    DFR_HOST: '127.0.0.1',
    DFR_PORT: '0',
    DFR_DATA_DIR: dataDir,
    DFR_NODES: 'node1',
    DFR_API_TOKEN: API_TOKEN,
    DFR_CLUSTER_TOKEN: CLUSTER_TOKEN,
    LOG_LEVEL: 'info',
    ...ENV[name],
  });
}

/** Whether this process may mount a tmpfs (root here); tried once on a scratch folder. */
export async function canMountTmpfs(): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-tmpfs-probe-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    await run('umount', [dir]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Mounts a roomy tmpfs on dir (created if missing), for a server to start on. */
export async function mountTmpfs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dir]);
}

/**
 * Runs `fn` while the tmpfs on dir has only FULL_FREE_BYTES left beside what it holds now, then
 * gives it its room back (the database grows with every upload, so a fixed fill would not last).
 */
export async function whileFull<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const { blocks, bfree, bsize } = await statfs(dir);
  const size = Math.ceil(((blocks - bfree) * bsize + FULL_FREE_BYTES) / 4096) * 4096;
  await run('mount', ['-o', `remount,size=${size}`, dir]);
  try {
    return await fn();
  } finally {
    await run('mount', ['-o', `remount,size=${TMPFS_SIZE}`, dir]);
  }
}

export async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]).catch(() => undefined);
}
