/**
 * Child process of small-baseline.ts: writes `files` slices of `source` as `copies` copies each,
 * every copy `open(tmp) → write → fsync → close → rename` into its own store folder, with
 * `concurrency` files in flight (their copies one after another). Prints a SmallBaseline as JSON.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runPool } from './pool.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as {
  source: string;
  dir: string;
  files: number;
  fileBytes: number;
  concurrency: number;
  copies: number;
};

const bytes = await readFile(options.source);
const stores = Array.from({ length: options.copies }, (_, i) => join(options.dir, `store-${i}`));
for (const store of stores) await mkdir(join(store, 'tmp'), { recursive: true });

const latenciesMs: number[] = new Array(options.files);
const started = performance.now();
await runPool(options.files, options.concurrency, async (i) => {
  const fileStarted = performance.now();
  const data = bytes.subarray(i * options.fileBytes, (i + 1) * options.fileBytes);
  for (const store of stores) {
    const tmp = join(store, 'tmp', `${i}.part`);
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(store, `file-${i}`));
  }
  latenciesMs[i] = performance.now() - fileStarted;
});
const seconds = (performance.now() - started) / 1000;
await rm(options.dir, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({ files: options.files, seconds, filesPerSecond: options.files / seconds, latenciesMs }),
);
