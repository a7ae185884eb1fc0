import type { TestProject } from 'vitest/node';
import { type StartedPostgres, startPostgresContainer } from './postgres.ts';

interface SharedPostgres {
  started: Promise<StartedPostgres | undefined>;
  users: number;
}

/** The integration and e2e projects share one container per run, started by whichever comes first. */
const KEY = Symbol.for('dfr.test.postgres-container');
const registry = globalThis as { [KEY]?: SharedPostgres };

/**
 * Starts a PostgreSQL container for the run when POSTGRES_URL is unset and Docker answers, and
 * hands its URL to the tests (read back by resolvePostgresUrl). Stopped when the last project
 * using it finishes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.POSTGRES_URL) {
    project.provide('postgresContainerUrl', null);
    return async () => undefined;
  }
  const shared = registry[KEY] ?? { started: startPostgresContainer(), users: 0 };
  registry[KEY] = shared;
  shared.users += 1;
  const postgres = await shared.started;
  project.provide('postgresContainerUrl', postgres?.url ?? null);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[KEY];
    await postgres?.stop();
  };
}
