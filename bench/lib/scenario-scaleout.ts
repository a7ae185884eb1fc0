import { randomBytes } from 'node:crypto';
import type { BenchContext } from './context.ts';
import { summarize } from './percentiles.ts';
import type { ScaleOutResult } from './results.ts';
import { smallOnCluster } from './scenario-small.ts';

/**
 * The small-file run with 1, 2 and 4 worker processes per node (competing consumers sharing
 * each node's queue and store); the baseline is the 1-worker run of the same run.
 */
export async function scaleOutScenario(
  ctx: BenchContext,
  options: { files: number; fileBytes: number; concurrency: number; workerCounts: number[] },
): Promise<{ result: ScaleOutResult; samples: Record<number, number[]> }> {
  const bytes = randomBytes(options.files * options.fileBytes);
  const runs: ScaleOutResult['runs'] = [];
  const samples: Record<number, number[]> = {};
  for (const workersPerNode of options.workerCounts) {
    ctx.log(`scale-out: ${options.files} small files with ${workersPerNode} worker(s) per node`);
    const { run, usage } = await smallOnCluster(ctx, `scaleout-${workersPerNode}`, workersPerNode, bytes, {
      ...options,
      mode: 'closed',
    });
    samples[workersPerNode] = run.uploadToOk3Ms;
    const first = runs[0]?.filesPerSecond ?? run.filesPerSecond;
    runs.push({
      workersPerNode,
      filesPerSecond: run.filesPerSecond,
      uploadToOk3Ms: summarize(run.uploadToOk3Ms),
      ratioToOneWorker: run.filesPerSecond / first,
      ...usage,
    });
  }
  return {
    result: { files: options.files, fileBytes: options.fileBytes, concurrency: options.concurrency, runs },
    samples,
  };
}
