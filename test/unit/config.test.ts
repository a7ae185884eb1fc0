import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IngestEnv } from '../../services/ingest/src/config.ts';
import { ConfigError, env, parseConfig } from '../../shared/src/config.ts';
import { ReplicateFiles } from '../../shared/src/messages/index.ts';
import { MAX_INLINE_FILE_BYTES } from '../../shared/src/messages/replicate-files.ts';

const schema = z.object({
  PORT: env.port(8080),
  DFR_NODE_ID: env.nodeId(),
  DFR_NODES: env.nodeList('node1,node2,node3'),
  DFR_AMQP_URL: env.amqpUrl(),
  DFR_PREFETCH: env.positiveInt(4),
  DFR_PUBLIC_URL: env.url(),
  DFR_DATA_DIR: env.string('./data'),
});

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies defaults, treating empty strings as unset', () => {
    expect(parseConfig(schema, { DFR_NODE_ID: 'node1', PORT: '', DFR_AMQP_URL: '', DFR_NODES: '' })).toEqual({
      PORT: 8080,
      DFR_NODE_ID: 'node1',
      DFR_NODES: ['node1', 'node2', 'node3'],
      DFR_AMQP_URL: undefined,
      DFR_PREFETCH: 4,
      DFR_PUBLIC_URL: undefined,
      DFR_DATA_DIR: './data',
    });
  });

  it('coerces numbers and splits node lists', () => {
    const config = parseConfig(schema, {
      PORT: '0',
      DFR_NODE_ID: 'node_7',
      DFR_NODES: ' a, b ,c,',
      DFR_AMQP_URL: 'amqps://user:pw@rabbit:5671/vhost',
      DFR_PREFETCH: '16',
      DFR_PUBLIC_URL: 'http://node7:9000',
    });
    expect(config).toMatchObject({
      PORT: 0,
      DFR_NODES: ['a', 'b', 'c'],
      DFR_AMQP_URL: 'amqps://user:pw@rabbit:5671/vhost',
      DFR_PREFETCH: 16,
    });
  });

  it('names every bad variable in one ConfigError', () => {
    const error = configError(() =>
      parseConfig(schema, {
        PORT: '70000',
        DFR_NODE_ID: '../node1',
        DFR_NODES: 'node1,node1',
        DFR_AMQP_URL: 'http://rabbit:5672',
        DFR_PREFETCH: '0',
        DFR_PUBLIC_URL: 'not a url',
      }),
    );
    const variables = error.problems.map((problem) => problem.split(':')[0]);
    expect(new Set(variables)).toEqual(
      new Set(['PORT', 'DFR_NODE_ID', 'DFR_NODES', 'DFR_AMQP_URL', 'DFR_PREFETCH', 'DFR_PUBLIC_URL']),
    );
    for (const variable of variables) expect(error.message).toContain(variable);
    expect(error.message).toContain('must be an amqp:// or amqps:// URL');
  });

  it('names a missing required variable', () => {
    const error = configError(() => parseConfig(schema, {}));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^DFR_NODE_ID: /);
  });

  it('rejects node ids that are not letters, digits, - or _', () => {
    const error = configError(() => parseConfig(schema, { DFR_NODE_ID: 'n', DFR_NODES: 'node1,no de' }));
    expect(error.problems).toEqual([expect.stringMatching(/^DFR_NODES\.1: node ids must be/)]);
  });
});

describe('DFR_INLINE_MAX_BYTES', () => {
  it('is capped where a replication command can carry the bytes, with a message naming it', () => {
    const error = configError(() => parseConfig(IngestEnv, { DFR_INLINE_MAX_BYTES: String(1024 * 1024) }));
    expect(error.message).toMatch(/DFR_INLINE_MAX_BYTES: must be at most 786432/);
    expect(
      parseConfig(IngestEnv, { DFR_INLINE_MAX_BYTES: String(MAX_INLINE_FILE_BYTES) }).DFR_INLINE_MAX_BYTES,
    ).toBe(MAX_INLINE_FILE_BYTES);
  });

  it('lets a file at the cap travel inside a ReplicateFiles that passes its schema', () => {
    const content = Buffer.alloc(MAX_INLINE_FILE_BYTES, 1).toString('base64');
    const message = {
      type: 'ReplicateFiles',
      version: 1,
      node: 'node1',
      files: [{ fileId: randomUUID(), size: MAX_INLINE_FILE_BYTES, sha256: 'a'.repeat(64), content }],
    };
    expect(ReplicateFiles.safeParse(message).success).toBe(true);
  });
});

describe('DFR_DATABASE_URL', () => {
  it('takes a postgres:// URL, and unset or empty means SQLite', () => {
    const url = 'postgres://dfr:secret@db:5432/dfr';
    expect(parseConfig(IngestEnv, { DFR_DATABASE_URL: url }).DFR_DATABASE_URL).toBe(url);
    expect(parseConfig(IngestEnv, { DFR_DATABASE_URL: 'postgresql://db/dfr' }).DFR_DATABASE_URL).toBe(
      'postgresql://db/dfr',
    );
    expect(parseConfig(IngestEnv, { DFR_DATABASE_URL: '' }).DFR_DATABASE_URL).toBeUndefined();
    expect(parseConfig(IngestEnv, {}).DFR_DATABASE_URL).toBeUndefined();
  });

  it('refuses any other URL with a message naming the variable and not echoing it', () => {
    const error = configError(() => parseConfig(IngestEnv, { DFR_DATABASE_URL: 'mysql://u:pw@db/dfr' }));
    expect(error.message).toContain('DFR_DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(error.message).not.toContain('pw');
  });
});
