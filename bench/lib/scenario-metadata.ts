import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NODES } from './cluster.ts';
import { type BenchContext, clusterFor } from './context.ts';
import { keepAliveAgent, send } from './http-client.ts';
import { seedMetadata } from './metadata-seed.ts';
import { median, summarize } from './percentiles.ts';
import type { MetadataResult, MetadataStoreResult } from './results.ts';

const STARTS = 3;
const WARMUP_REQUESTS = 200;
const STATUS_REQUESTS = 2000;
const PAGE_REQUESTS = 500;
/** GET /files without `limit` gives this many files per page. */
const PAGE_LIMIT = 100;

/** Raw latencies kept for the plot. */
export interface MetadataSamples {
  baseline: { statusMs: number[]; pageMs: number[] };
  scaled: { statusMs: number[]; pageMs: number[] };
}

/**
 * Ingest alone on a metadata store of `files` files: start-up time (spawn to "Server listening",
 * three starts) and, one request at a time, GET /files/<id>/status of random files and GET /files
 * pages at random cursors. Baseline: the same on a store of `baselineFiles` files.
 */
export async function metadataScenario(
  ctx: BenchContext,
  options: { files: number; baselineFiles: number },
): Promise<{ result: MetadataResult; samples: MetadataSamples }> {
  const baseline = await measureStore(ctx, options.baselineFiles);
  const scaled = await measureStore(ctx, options.files);
  return {
    result: { baseline: baseline.result, scaled: scaled.result, pageLimit: PAGE_LIMIT },
    samples: { baseline: baseline.samples, scaled: scaled.samples },
  };
}

async function measureStore(
  ctx: BenchContext,
  files: number,
): Promise<{ result: MetadataStoreResult; samples: { statusMs: number[]; pageMs: number[] } }> {
  const name = `metadata-${files}`;
  ctx.log(`metadata: seeding ${files} files`);
  const { ids, seconds: seedSeconds } = await seedMetadata(join(ctx.workDir, name, 'data'), files, NODES);
  const startupMs: number[] = [];
  let samples = { statusMs: [] as number[], pageMs: [] as number[] };
  try {
    for (let start = 1; start <= STARTS; start++) {
      const cluster = await clusterFor(ctx, name, 0);
      try {
        startupMs.push(cluster.ingestStartupMs);
        ctx.log(`metadata: ${files} files, start ${start}: ${Math.round(cluster.ingestStartupMs)} ms`);
        if (start === STARTS) samples = await measureRequests(cluster.url, ids);
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    await rm(join(ctx.workDir, name), { recursive: true, force: true });
  }
  return {
    result: {
      files,
      seedSeconds,
      startupMs,
      startupMedianMs: median(startupMs),
      statusMs: summarize(samples.statusMs),
      pageMs: summarize(samples.pageMs),
    },
    samples,
  };
}

async function measureRequests(
  url: string,
  ids: string[],
): Promise<{ statusMs: number[]; pageMs: number[] }> {
  const agent = keepAliveAgent(1);
  const anyId = () => ids[randomInt(ids.length)] as string;
  const status = async () => {
    const answer = await send(`${url}/files/${anyId()}/status`, {
      agent,
      headers: { accept: 'application/json' },
    });
    if (answer.status !== 200) throw new Error(`status answered ${answer.status}`);
    return answer.ms;
  };
  // A cursor is a position in the newest-first listing (the row number of the page's first file
  // plus one); positions past the first PAGE_LIMIT rows give full pages.
  const page = async () => {
    const cursor = randomInt(Math.min(PAGE_LIMIT + 1, ids.length + 1), ids.length + 2);
    const answer = await send(`${url}/files?cursor=${cursor}`, { agent });
    if (answer.status !== 200) throw new Error(`listing answered ${answer.status}`);
    return answer.ms;
  };
  try {
    for (let i = 0; i < WARMUP_REQUESTS; i++) await status();
    for (let i = 0; i < WARMUP_REQUESTS / 4; i++) await page();
    const statusMs: number[] = [];
    for (let i = 0; i < STATUS_REQUESTS; i++) statusMs.push(await status());
    const pageMs: number[] = [];
    for (let i = 0; i < PAGE_REQUESTS; i++) pageMs.push(await page());
    return { statusMs, pageMs };
  } finally {
    agent.destroy();
  }
}
