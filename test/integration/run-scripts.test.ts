import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, SERVICE_NODE_FLAGS } from '../support/processes.ts';

const scripts = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<
  string,
  string
>;

/** The tests and the benchmark spawn services themselves: they must run what npm runs. */
describe('npm scripts run the bundles the tests and the benchmark run', () => {
  it.each([
    ['start', 'all-in-one'],
    ['ingest', 'ingest'],
    ['worker', 'worker'],
  ] as const)(
    'npm run %s builds, then execs node with the service flags on dist/%s.mjs',
    (script, bundle) => {
      expect(scripts[script]).toBe(
        `node scripts/build.mjs && exec node ${SERVICE_NODE_FLAGS[bundle].join(' ')} dist/${bundle}.mjs`,
      );
    },
  );

  it('npm run client builds, then runs the CLI bundle', () => {
    expect(scripts.client).toBe('node scripts/build.mjs && exec node dist/client.mjs');
  });
});
