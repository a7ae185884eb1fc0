import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../../test/support/postgres.ts';
import type { BenchContext } from './context.ts';
import { summarize } from './percentiles.ts';
import type { IngestsResult } from './results.ts';
import { smallOnCluster } from './scenario-small.ts';

/** The setups compared, each on a fresh cluster with one worker per node. */
const SETUPS = [
  { label: '1 ingest, SQLite', ingests: 1, metadata: 'sqlite' },
  { label: '1 ingest, PostgreSQL', ingests: 1, metadata: 'postgres' },
  { label: '2 ingests, PostgreSQL', ingests: 2, metadata: 'postgres' },
] as const;

/**
 * The small-file run (lanes waiting for UPLOAD_OK 3) on one ingest and on two sharing a
 * PostgreSQL database, uploads spread over them; one ingest on PostgreSQL sits between, so the
 * engine's cost and the second instance's effect can be told apart. Each PostgreSQL run gets a
 * database of its own on `postgresAdminUrl`'s server, dropped afterwards.
 */
export async function ingestsScenario(
  ctx: BenchContext,
  options: { files: number; fileBytes: number; concurrency: number; postgresAdminUrl: string },
): Promise<{ result: IngestsResult; samples: Record<string, number[]> }> {
  const bytes = randomBytes(options.files * options.fileBytes);
  const runs: IngestsResult['runs'] = [];
  const samples: Record<string, number[]> = {};
  for (const setup of SETUPS) {
    ctx.log(`ingests: ${options.files} small files, ${setup.label}`);
    const database =
      setup.metadata === 'postgres' ? await createTestDatabase(options.postgresAdminUrl) : undefined;
    try {
      const name = `ingests-${setup.ingests}-${setup.metadata}`;
      const { run, usage } = await smallOnCluster(
        ctx,
        name,
        1,
        bytes,
        { ...options, mode: 'closed' },
        { ingests: setup.ingests, databaseUrl: database?.url },
      );
      samples[setup.label] = run.uploadToOk3Ms;
      const first = runs[0]?.filesPerSecond ?? run.filesPerSecond;
      runs.push({
        ...setup,
        filesPerSecond: run.filesPerSecond,
        uploadMs: summarize(run.uploadMs),
        uploadToOk3Ms: summarize(run.uploadToOk3Ms),
        ratioToFirst: run.filesPerSecond / first,
        ...usage,
      });
    } finally {
      await database?.drop();
    }
  }
  return {
    result: { files: options.files, fileBytes: options.fileBytes, concurrency: options.concurrency, runs },
    samples,
  };
}
