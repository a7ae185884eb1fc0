import { describe, expect, it } from 'vitest';
import { IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { WorkerEnv, workerConfig } from '../../services/node-worker/src/config.ts';
import { ConfigError, parseConfig } from '../../shared/src/config.ts';

function problems(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'no error';
}

describe('security settings in the environment', () => {
  it('keeps downloads open and uploads unbounded in time only by the defaults', () => {
    const config = ingestConfig(parseConfig(IngestEnv, {}));
    expect(config).toMatchObject({
      protectDownloads: false,
      requestTimeoutMs: 3_600_000,
      idleTimeoutMs: 120_000,
    });
    expect(config.apiToken).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['', false],
  ])('reads DFR_PROTECT_DOWNLOADS=%j as %j', (value, expected) => {
    const env = parseConfig(IngestEnv, { DFR_PROTECT_DOWNLOADS: value, DFR_API_TOKEN: 'token' });
    expect(ingestConfig(env).protectDownloads).toBe(expected);
  });

  it('refuses a flag that is not one', () => {
    expect(problems(() => parseConfig(IngestEnv, { DFR_PROTECT_DOWNLOADS: 'sometimes' }))).toMatch(
      /DFR_PROTECT_DOWNLOADS: must be true or false/,
    );
  });

  it('refuses protected downloads without a token to require', () => {
    expect(problems(() => ingestConfig(parseConfig(IngestEnv, { DFR_PROTECT_DOWNLOADS: 'true' })))).toMatch(
      /DFR_PROTECT_DOWNLOADS: needs DFR_API_TOKEN/,
    );
    expect(
      problems(() =>
        workerConfig(parseConfig(WorkerEnv, { DFR_NODE_ID: 'node1', DFR_PROTECT_DOWNLOADS: 'true' })),
      ),
    ).toMatch(/DFR_PROTECT_DOWNLOADS: needs DFR_API_TOKEN or DFR_CLUSTER_TOKEN/);
  });

  it.each(['DFR_API_TOKEN', 'DFR_CLUSTER_TOKEN'])(
    'refuses a %s that cannot travel in a header, without echoing it',
    (name) => {
      const message = problems(() => parseConfig(IngestEnv, { [name]: 'has a space-secret' }));
      expect(message).toMatch(new RegExp(`${name}: must be 1-4096 printable ASCII`));
      expect(message).not.toContain('space-secret');
    },
  );
});
