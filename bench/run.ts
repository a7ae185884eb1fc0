/**
 * `npm run bench [-- options]`: starts the service as separate processes on the machine's
 * RabbitMQ (AMQP_URL, a fresh `bench-<hex>` prefix per cluster, deleted afterwards), runs each
 * scenario with its baseline, prints a table, writes bench/results/<date>.json and a latency
 * plot beside it, and updates docs/BENCHMARKS.md. Not part of `npm test`.
 *
 *   --scenarios large,small,metadata,scaleout,ingests   which to run (default: all)
 *   --large-mib 1024        size of the large file
 *   --small-files 2000      --small-bytes 4096    --concurrency 32
 *   --one-lane-files 300    files of the one-lane small runs (upload → UPLOAD_OK 3 latency)
 *   --metadata-files 100000 --metadata-baseline-files 1000
 *   --scaleout-files N (default: --small-files)   --scaleout-workers 1,2,4
 *   ingests: the small-file run on 1 ingest (SQLite, then PostgreSQL) and on 2 sharing
 *            PostgreSQL; needs POSTGRES_URL (an admin URL; default postgres://postgres@127.0.0.1:5432/postgres)
 *   --dir /tmp              where the stores go (the disk under test)
 *   --cpu-prof              every service writes a V8 CPU profile; prints their summaries
 *                           (numbers are distorted, so the docs are left alone)
 *   --no-save               print only; write neither results nor docs
 *
 * Only a run of every scenario, unprofiled and without failures, rewrites docs/BENCHMARKS.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/support/processes.ts';
import { printTables } from './lib/console-tables.ts';
import type { BenchContext } from './lib/context.ts';
import { formatProfileSummaries, type ProfileSummary, summarizeProfiles } from './lib/cpu-profile.ts';
import { machineInfo } from './lib/machine.ts';
import { updateBenchmarksDoc } from './lib/markdown.ts';
import type { BenchResults } from './lib/results.ts';
import { ingestsScenario } from './lib/scenario-ingests.ts';
import { largeScenario } from './lib/scenario-large.ts';
import { type MetadataSamples, metadataScenario } from './lib/scenario-metadata.ts';
import { scaleOutScenario } from './lib/scenario-scaleout.ts';
import { type SmallSamples, smallScenario } from './lib/scenario-small.ts';
import { type Panel, renderCdfSvg } from './lib/svg-plot.ts';
import { checkTargets } from './lib/targets.ts';

const SCENARIOS = ['large', 'small', 'metadata', 'scaleout', 'ingests'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    'large-mib': { type: 'string', default: '1024' },
    'small-files': { type: 'string', default: '2000' },
    'small-bytes': { type: 'string', default: '4096' },
    concurrency: { type: 'string', default: '32' },
    'one-lane-files': { type: 'string', default: '300' },
    'metadata-files': { type: 'string', default: '100000' },
    'metadata-baseline-files': { type: 'string', default: '1000' },
    'scaleout-files': { type: 'string' },
    'scaleout-workers': { type: 'string', default: '1,2,4' },
    dir: { type: 'string', default: tmpdir() },
    'cpu-prof': { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
  },
  strict: true,
});

const positive = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const selected = (values.scenarios ?? '').split(',').map((s) => s.trim()) as Scenario[];
const unknown = selected.filter((s) => !SCENARIOS.includes(s));
if (unknown.length > 0)
  throw new Error(`unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
const options = {
  scenarios: selected,
  largeMiB: positive('large-mib'),
  smallFiles: positive('small-files'),
  smallBytes: positive('small-bytes'),
  concurrency: positive('concurrency'),
  oneLaneFiles: positive('one-lane-files'),
  metadataFiles: positive('metadata-files'),
  metadataBaselineFiles: positive('metadata-baseline-files'),
  scaleoutFiles:
    values['scaleout-files'] === undefined ? positive('small-files') : positive('scaleout-files'),
  scaleoutWorkers: (values['scaleout-workers'] ?? '').split(',').map(Number),
};
if (options.scaleoutWorkers.some((n) => !Number.isInteger(n) || n <= 0))
  throw new Error('--scaleout-workers must be a list of positive integers');

async function main(): Promise<void> {
  const started = performance.now();
  const date = new Date();
  const stamp = `${date.toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
  const runId = randomBytes(4).toString('hex');
  const workDir = await mkdtemp(join(values.dir ?? tmpdir(), 'dfr-bench-'));
  const cpuProfDir = values['cpu-prof'] ? join(tmpdir(), `dfr-bench-prof-${stamp}`) : undefined;
  const ctx: BenchContext = {
    runId,
    workDir,
    amqpUrl: process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    cpuProfDir,
    log: (message) =>
      console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`),
  };
  const command = [
    'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  ctx.log(`run ${runId}: ${options.scenarios.join(', ')} in ${workDir}`);
  const partial: Omit<BenchResults, 'targets' | 'totalSeconds'> = {
    date: date.toISOString(),
    command,
    machine: await machineInfo(workDir),
    options: { ...options },
  };
  let smallSamples: SmallSamples | undefined;
  let metadataSamples: MetadataSamples | undefined;
  let scaleoutSamples: Record<number, number[]> | undefined;
  let ingestsSamples: Record<string, number[]> | undefined;
  const failures: string[] = [];
  const attempt = async (scenario: Scenario, work: () => Promise<void>) => {
    if (!options.scenarios.includes(scenario)) return;
    try {
      await work();
    } catch (err) {
      failures.push(`${scenario}: ${(err as Error).stack ?? String(err)}`);
      ctx.log(`${scenario} FAILED: ${(err as Error).message}`);
    }
  };
  try {
    await attempt('large', async () => {
      partial.large = await largeScenario(ctx, options.largeMiB);
    });
    await attempt('small', async () => {
      const small = await smallScenario(ctx, {
        files: options.smallFiles,
        fileBytes: options.smallBytes,
        concurrency: options.concurrency,
        oneLaneFiles: options.oneLaneFiles,
      });
      partial.small = small.result;
      smallSamples = small.samples;
    });
    await attempt('metadata', async () => {
      const metadata = await metadataScenario(ctx, {
        files: options.metadataFiles,
        baselineFiles: options.metadataBaselineFiles,
      });
      partial.metadata = metadata.result;
      metadataSamples = metadata.samples;
    });
    await attempt('scaleout', async () => {
      const scaleout = await scaleOutScenario(ctx, {
        files: options.scaleoutFiles,
        fileBytes: options.smallBytes,
        concurrency: options.concurrency,
        workerCounts: options.scaleoutWorkers,
      });
      partial.scaleout = scaleout.result;
      scaleoutSamples = scaleout.samples;
    });
    await attempt('ingests', async () => {
      const ingests = await ingestsScenario(ctx, {
        files: options.smallFiles,
        fileBytes: options.smallBytes,
        concurrency: options.concurrency,
        postgresAdminUrl: process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
      });
      partial.ingests = ingests.result;
      ingestsSamples = ingests.samples;
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }

  const results: BenchResults = {
    ...partial,
    totalSeconds: (performance.now() - started) / 1000,
    targets: checkTargets(partial),
  };
  printTables(results);
  let profiles: ProfileSummary[] | undefined;
  if (cpuProfDir) {
    profiles = await summarizeProfiles(cpuProfDir);
    console.log(`\nCPU profiles in ${cpuProfDir}:\n${formatProfileSummaries(profiles)}`);
  }

  if (!values['no-save']) {
    const resultsDir = join(repoRoot, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const suffix = cpuProfDir ? '-cpu-prof' : '';
    const svg = renderCdfSvg(
      `dfr benchmark ${results.date}`,
      plotPanels(smallSamples, metadataSamples, scaleoutSamples, ingestsSamples),
    );
    const plotPath = join(resultsDir, `${stamp}${suffix}-latency.svg`);
    const hasPlot =
      smallSamples !== undefined ||
      metadataSamples !== undefined ||
      scaleoutSamples !== undefined ||
      ingestsSamples !== undefined;
    if (hasPlot) {
      await writeFile(plotPath, svg);
      results.plot = relative(repoRoot, plotPath);
    }
    const jsonPath = join(resultsDir, `${stamp}${suffix}.json`);
    await writeFile(
      jsonPath,
      `${JSON.stringify({ ...results, ...(profiles ? { profiles } : {}), failures }, null, 2)}\n`,
    );
    console.log(
      `\nwrote ${relative(repoRoot, jsonPath)}${hasPlot ? ` and ${relative(repoRoot, plotPath)}` : ''}`,
    );
    const fullRun = SCENARIOS.every((scenario) => options.scenarios.includes(scenario));
    if (!fullRun || cpuProfDir || failures.length > 0) {
      console.log(
        'docs/BENCHMARKS.md left alone: only a complete, unprofiled run without failures updates it',
      );
    } else {
      const docs = join(repoRoot, 'docs');
      await updateBenchmarksDoc(join(docs, 'BENCHMARKS.md'), results, {
        json: relative(docs, jsonPath),
        plot: hasPlot ? relative(docs, plotPath) : undefined,
      });
      console.log('updated docs/BENCHMARKS.md');
    }
  }
  if (failures.length > 0) {
    console.error(`\n${failures.length} scenario(s) failed:\n${failures.join('\n\n')}`);
    process.exitCode = 1;
  }
}

function plotPanels(
  small: SmallSamples | undefined,
  metadata: MetadataSamples | undefined,
  scaleout: Record<number, number[]> | undefined,
  ingests: Record<string, number[]> | undefined,
): Panel[] {
  const panels: Panel[] = [];
  if (small) {
    // The 201 only where many are in flight (its targets); UPLOAD_OK 3 for every run.
    const series = small.runs.flatMap((run) => [
      ...(run.lanes > 1 && run.mode === 'closed'
        ? [{ label: `${run.label}: upload → 201`, samples: run.uploadMs }]
        : []),
      { label: `${run.label}: upload → UPLOAD_OK 3`, samples: run.uploadToOk3Ms },
    ]);
    panels.push({
      title: `Small files: ${options.smallBytes} B, ${options.smallFiles} at ${options.concurrency} lanes, ${options.oneLaneFiles} at 1 lane`,
      series: [...series, { label: 'baseline: 4 copies fsynced', samples: small.baselineMs }],
    });
  }
  if (scaleout) {
    panels.push({
      title: 'Scale-out: upload → UPLOAD_OK 3 by worker processes per node',
      series: Object.entries(scaleout).map(([workers, samples]) => ({
        label: `${workers} per node`,
        samples,
      })),
    });
  }
  if (ingests) {
    panels.push({
      title: 'Ingest instances: upload → UPLOAD_OK 3',
      series: Object.entries(ingests).map(([label, samples]) => ({ label, samples })),
    });
  }
  if (metadata) {
    const b = options.metadataBaselineFiles.toLocaleString('en-US');
    const n = options.metadataFiles.toLocaleString('en-US');
    panels.push({
      title: 'Metadata: one request at a time',
      series: [
        { label: `status, ${b} files`, samples: metadata.baseline.statusMs },
        { label: `status, ${n} files`, samples: metadata.scaled.statusMs },
        { label: `page, ${b} files`, samples: metadata.baseline.pageMs },
        { label: `page, ${n} files`, samples: metadata.scaled.pageMs },
      ],
    });
  }
  return panels;
}

await main();
