import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from '../../test/support/processes.ts';
import { syncDisks } from './large-baseline.ts';

const run = promisify(execFile);

export interface SmallBaseline {
  files: number;
  seconds: number;
  filesPerSecond: number;
  /** Per file: from its first write to its fourth copy renamed into place, ms. */
  latenciesMs: number[];
}

/**
 * The small-file baseline, in a child process of its own so its libuv thread pool can be as wide
 * as the concurrency (the default 4 threads would serialise the fsyncs and flatter the service).
 */
export async function smallBaseline(options: {
  source: string;
  dir: string;
  files: number;
  fileBytes: number;
  concurrency: number;
  copies?: number;
}): Promise<SmallBaseline> {
  await syncDisks();
  const child = fileURLToPath(new URL('./small-baseline-child.ts', import.meta.url));
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', child, JSON.stringify({ copies: 4, ...options })],
    {
      cwd: repoRoot,
      env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, Math.min(1024, options.concurrency))) },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as SmallBaseline;
}
