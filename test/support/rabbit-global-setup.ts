import type { TestProject } from 'vitest/node';
import { type StartedRabbit, startRabbitContainer } from './amqp.ts';

interface SharedRabbit {
  started: Promise<StartedRabbit | undefined>;
  users: number;
}

/** The integration and e2e projects share one container per run, started by whichever comes first. */
const KEY = Symbol.for('dfr.test.rabbit-container');
const registry = globalThis as { [KEY]?: SharedRabbit };

/**
 * Starts a RabbitMQ container for the run when AMQP_URL is unset and Docker answers, and hands its
 * URL to the tests (read back by resolveAmqpUrl). Stopped when the last project using it finishes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.AMQP_URL) {
    project.provide('rabbitContainerUrl', null);
    return async () => undefined;
  }
  const shared = registry[KEY] ?? { started: startRabbitContainer(), users: 0 };
  registry[KEY] = shared;
  shared.users += 1;
  const rabbit = await shared.started;
  project.provide('rabbitContainerUrl', rabbit?.url ?? null);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[KEY];
    await rabbit?.stop();
  };
}
