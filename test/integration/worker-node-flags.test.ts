import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot, SERVICE_NODE_FLAGS } from '../support/processes.ts';

const run = promisify(execFile);

async function collectionsDuringCopy(flags: string[]): Promise<{ major: number; minor: number }> {
  const { stdout } = await run(process.execPath, [
    ...flags,
    join(repoRoot, 'test/support/streamed-copy-gc.mjs'),
  ]);
  return JSON.parse(stdout) as { major: number; minor: number };
}

/**
 * A worker spends most of a large copy streaming bytes; its Node flags must not make V8 collect
 * the whole heap over and over meanwhile (with `--heap-growing-percent=50` on a service-sized
 * heap it ran a mark-compact after nearly every scavenge).
 */
describe("a worker's Node flags during a streamed copy", () => {
  it('512 MiB through a hashing pipeline take at most a few full collections', async () => {
    const { major, minor } = await collectionsDuringCopy(SERVICE_NODE_FLAGS.worker);
    expect(minor).toBeGreaterThan(0);
    expect(major).toBeLessThanOrEqual(3);
  }, 60_000);
});
