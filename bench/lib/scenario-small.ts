import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchContext, clusterFor } from './context.ts';
import { syncDisks } from './large-baseline.ts';
import { summarize } from './percentiles.ts';
import { ReplicaTap } from './replica-tap.ts';
import { type SmallResult, type UsageTables, usageTables } from './results.ts';
import { smallBaseline } from './small-baseline.ts';
import { type LaneMode, type SmallUploadRun, smallUploadRun } from './small-upload-run.ts';

/** Raw latencies kept for the plot; the JSON gets summaries only. */
export interface SmallSamples {
  uploadMs: number[];
  uploadToOk3Ms: number[];
  /** Upload → UPLOAD_OK 3 in the pipelined run. */
  pipelinedUploadToOk3Ms: number[];
  baselineMs: number[];
}

/**
 * Many small files with `concurrency` in flight on one worker per node: files/s to UPLOAD_OK 3
 * and the latency distributions; baseline: the same files as four copies each, write + fsync +
 * rename, at the same concurrency.
 */
export async function smallScenario(
  ctx: BenchContext,
  options: { files: number; fileBytes: number; concurrency: number },
): Promise<{ result: SmallResult; samples: SmallSamples }> {
  const bytes = randomBytes(options.files * options.fileBytes);
  const source = join(ctx.workDir, 'small.bin');
  await writeFile(source, bytes);
  ctx.log(
    `small: baseline (${options.files} files × 4 copies, write+fsync+rename, concurrency ${options.concurrency})`,
  );
  const baseline = await smallBaseline({ source, dir: join(ctx.workDir, 'small-baseline'), ...options });
  ctx.log(
    `small: ${options.files} uploads of ${options.fileBytes} bytes, concurrency ${options.concurrency}`,
  );
  const { run, usage } = await smallOnCluster(ctx, 'small', 1, bytes, { ...options, mode: 'closed' });
  ctx.log('small: the same, pipelined (each lane sends its next file after the 201)');
  const pipelined = await smallOnCluster(ctx, 'small-pipelined', 1, bytes, { ...options, mode: 'pipelined' });
  await rm(source, { force: true });
  return {
    result: {
      ...options,
      baseline: {
        seconds: baseline.seconds,
        filesPerSecond: baseline.filesPerSecond,
        fileLatencyMs: summarize(baseline.latenciesMs),
      },
      service: {
        seconds: run.seconds,
        filesPerSecond: run.filesPerSecond,
        uploadMs: summarize(run.uploadMs),
        uploadToOk3Ms: summarize(run.uploadToOk3Ms),
        ...usage,
      },
      ratioToBaseline: run.filesPerSecond / baseline.filesPerSecond,
      pipelined: {
        seconds: pipelined.run.seconds,
        filesPerSecond: pipelined.run.filesPerSecond,
        uploadMs: summarize(pipelined.run.uploadMs),
        uploadToOk3Ms: summarize(pipelined.run.uploadToOk3Ms),
        ...pipelined.usage,
        ratioToBaseline: pipelined.run.filesPerSecond / baseline.filesPerSecond,
      },
    },
    samples: {
      uploadMs: run.uploadMs,
      uploadToOk3Ms: run.uploadToOk3Ms,
      pipelinedUploadToOk3Ms: pipelined.run.uploadToOk3Ms,
      baselineMs: baseline.latenciesMs,
    },
  };
}

/**
 * One small-file run on a fresh cluster with `workersPerNode` workers per node (and, when
 * `instances` says so, several ingest instances on PostgreSQL, the uploads spread over them).
 */
export async function smallOnCluster(
  ctx: BenchContext,
  name: string,
  workersPerNode: number,
  bytes: Buffer,
  options: { files: number; fileBytes: number; concurrency: number; mode: LaneMode },
  instances: Parameters<typeof clusterFor>[3] = {},
): Promise<{ run: SmallUploadRun; usage: UsageTables }> {
  const cluster = await clusterFor(ctx, name, workersPerNode, instances);
  try {
    const tap = await ReplicaTap.open(ctx.amqpUrl, cluster.prefix);
    try {
      await syncDisks();
      const endMeasure = cluster.measure();
      const run = await smallUploadRun({ urls: cluster.urls, tap, bytes, ...options });
      return { run, usage: usageTables(endMeasure()) };
    } finally {
      await tap.close();
    }
  } finally {
    await cluster.stop();
    await rm(join(ctx.workDir, name), { recursive: true, force: true });
  }
}
