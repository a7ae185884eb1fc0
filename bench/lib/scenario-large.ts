import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sleep } from '../../test/support/wait-for.ts';
import { type BenchContext, clusterFor } from './context.ts';
import { curlArgs, curlUpload } from './curl-upload.ts';
import { statusLine } from './http-client.ts';
import { largeBaseline, syncDisks } from './large-baseline.ts';
import { type LargeResult, MiB, usageTables } from './results.ts';
import { writeRandomFile } from './source-file.ts';

const STATUS_POLL_MS = 20;
const OK3_TIMEOUT_MS = 600_000;

/**
 * One large file uploaded as a user would: written just before (so in the page cache, as a file
 * one has just made is), sent by the real curl (`curl -T`, then `curl -F` on a fresh cluster),
 * `UPLOAD_OK 3` seen by polling the status. Measured: time to the 201, time to UPLOAD_OK 3, and
 * the peak RSS and CPU of every process; baseline: the same bytes written four times with
 * `dd bs=1M conv=fdatasync`, one copy after another.
 */
export async function largeScenario(ctx: BenchContext, sizeMiB: number): Promise<LargeResult> {
  const size = sizeMiB * MiB;
  const source = join(ctx.workDir, 'large.bin');
  ctx.log(`large: writing a ${sizeMiB} MiB source file`);
  await writeRandomFile(source, size);
  ctx.log('large: baseline (4 × dd conv=fdatasync)');
  const baseline = await largeBaseline(source, join(ctx.workDir, 'large-baseline'));
  const runs: LargeResult['runs'] = [];
  for (const mode of ['PUT', 'multipart'] as const) {
    const cluster = await clusterFor(ctx, `large-${mode}`, 1);
    try {
      await syncDisks();
      ctx.log(`large: ${mode} of ${sizeMiB} MiB`);
      const endMeasure = cluster.measure();
      const sent = performance.now();
      const id = await curlUpload(mode, cluster.url, 'large.bin', source);
      const secondsTo201 = (performance.now() - sent) / 1000;
      while ((await statusLine(cluster.url, id)) !== 'UPLOAD_OK 3') {
        if (performance.now() - sent > OK3_TIMEOUT_MS) throw new Error(`large ${mode}: no UPLOAD_OK 3`);
        await sleep(STATUS_POLL_MS);
      }
      const secondsToUploadOk3 = (performance.now() - sent) / 1000;
      const usage = usageTables(endMeasure());
      runs.push({
        mode,
        client: ['curl', ...curlArgs(mode, '<ingest>', 'large.bin', '<file>')].join(' '),
        secondsTo201,
        secondsToUploadOk3,
        mibPerSecond: sizeMiB / secondsToUploadOk3,
        ingestMibPerSecond: sizeMiB / secondsTo201,
        ratioToBaseline: secondsToUploadOk3 / baseline.seconds,
        ...usage,
      });
    } finally {
      await cluster.stop();
      await rm(join(ctx.workDir, `large-${mode}`), { recursive: true, force: true });
    }
  }
  await rm(source, { force: true });
  return {
    sizeMiB,
    baseline: { ...baseline, mibPerSecond: sizeMiB / baseline.seconds },
    runs,
  };
}
