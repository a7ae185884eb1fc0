import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LargeBaseline {
  /** The four copies, one after another: what the service must write, at the disk's pace. */
  seconds: number;
  copySeconds: number[];
}

/** Flushes dirty pages so one phase does not pay for the previous one's writes. */
export async function syncDisks(): Promise<void> {
  await run('sync');
}

/**
 * The same bytes written four times (the main copy and three replicas), one after another, each
 * `dd bs=1M conv=fdatasync` from the source file, so every copy is on the disk when dd exits.
 */
export async function largeBaseline(source: string, dir: string, copies = 4): Promise<LargeBaseline> {
  await mkdir(dir, { recursive: true });
  await syncDisks();
  const copySeconds: number[] = [];
  const started = performance.now();
  for (let i = 0; i < copies; i++) {
    const copyStarted = performance.now();
    await run('dd', [
      `if=${source}`,
      `of=${join(dir, `copy-${i}`)}`,
      'bs=1M',
      'conv=fdatasync',
      'status=none',
    ]);
    copySeconds.push((performance.now() - copyStarted) / 1000);
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(dir, { recursive: true, force: true });
  return { seconds, copySeconds };
}
