import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchContext, clusterFor } from './context.ts';
import { cpuPerFile } from './cpu-per-file.ts';
import type { UploadMode } from './http-client.ts';
import { syncDisks } from './large-baseline.ts';
import { summarize } from './percentiles.ts';
import { ReplicaTap } from './replica-tap.ts';
import { type SmallResult, type SmallRun, type UsageTables, usageTables } from './results.ts';
import { smallBaseline } from './small-baseline.ts';
import { type LaneMode, type SmallUploadRun, smallRunLabel, smallUploadRun } from './small-upload-run.ts';
import { SWIFT_4K_PUTS_PER_SECOND } from './targets.ts';

/** Raw latencies kept for the plot; the JSON gets summaries only. */
export interface SmallSamples {
  /** Upload → 201 and upload → UPLOAD_OK 3 of each run, with its label. */
  runs: { label: string; lanes: number; mode: LaneMode; uploadMs: number[]; uploadToOk3Ms: number[] }[];
  baselineMs: number[];
}

export interface SmallOptions {
  files: number;
  fileBytes: number;
  concurrency: number;
  /** Files of the one-lane latency runs. */
  oneLaneFiles: number;
}

/** The runs, each on a fresh cluster: lanes waiting for UPLOAD_OK 3 unless `mode` says otherwise. */
function plannedRuns(
  o: SmallOptions,
): { upload: UploadMode; lanes: number; mode: LaneMode; files: number }[] {
  return [
    { upload: 'PUT', lanes: o.concurrency, mode: 'closed', files: o.files },
    { upload: 'multipart', lanes: o.concurrency, mode: 'closed', files: o.files },
    { upload: 'PUT', lanes: 1, mode: 'closed', files: o.oneLaneFiles },
    { upload: 'multipart', lanes: 1, mode: 'closed', files: o.oneLaneFiles },
    // Replication runs behind the uploads: what ingest takes in, shown beside the targets' runs.
    { upload: 'PUT', lanes: o.concurrency, mode: 'pipelined', files: o.files },
  ];
}

/**
 * Many small files by PUT and by multipart on one worker per node: at `concurrency` lanes (files/s
 * to UPLOAD_OK 3, 201 latencies, CPU per file) and at one lane (upload → UPLOAD_OK 3 latency).
 * Baseline: the same files as four copies each, write + fsync + rename, at the same concurrency.
 */
export async function smallScenario(
  ctx: BenchContext,
  options: SmallOptions,
): Promise<{ result: SmallResult; samples: SmallSamples }> {
  const bytes = randomBytes(Math.max(options.files, options.oneLaneFiles) * options.fileBytes);
  const source = join(ctx.workDir, 'small.bin');
  await writeFile(source, bytes);
  ctx.log(
    `small: baseline (${options.files} files × 4 copies, write+fsync+rename, concurrency ${options.concurrency})`,
  );
  const baseline = await smallBaseline({
    source,
    dir: join(ctx.workDir, 'small-baseline'),
    files: options.files,
    fileBytes: options.fileBytes,
    concurrency: options.concurrency,
  });
  await rm(source, { force: true });
  const runs: SmallRun[] = [];
  const samples: SmallSamples = { runs: [], baselineMs: baseline.latenciesMs };
  for (const planned of plannedRuns(options)) {
    const label = smallRunLabel(planned);
    ctx.log(`small: ${planned.files} uploads of ${options.fileBytes} bytes, ${label}`);
    const { run, usage } = await smallOnCluster(ctx, 'small', 1, bytes, {
      files: planned.files,
      fileBytes: options.fileBytes,
      concurrency: planned.lanes,
      mode: planned.mode,
      upload: planned.upload,
    });
    runs.push({
      ...planned,
      seconds: run.seconds,
      filesPerSecond: run.filesPerSecond,
      uploadMs: summarize(run.uploadMs),
      uploadToOk3Ms: summarize(run.uploadToOk3Ms),
      ratioToBaseline: run.filesPerSecond / baseline.filesPerSecond,
      ratioToSwift: run.filesPerSecond / SWIFT_4K_PUTS_PER_SECOND.high,
      cpuMsPerFile: cpuPerFile(usage.cpuSeconds, planned.files),
      ...usage,
    });
    samples.runs.push({ label, ...planned, uploadMs: run.uploadMs, uploadToOk3Ms: run.uploadToOk3Ms });
  }
  return {
    result: {
      ...options,
      baseline: {
        seconds: baseline.seconds,
        filesPerSecond: baseline.filesPerSecond,
        fileLatencyMs: summarize(baseline.latenciesMs),
      },
      swiftFilesPerSecond: { ...SWIFT_4K_PUTS_PER_SECOND },
      runs,
    },
    samples,
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
  options: { files: number; fileBytes: number; concurrency: number; mode: LaneMode; upload?: UploadMode },
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
