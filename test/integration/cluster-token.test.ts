import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { type RunningIngest, startIngest } from '../../services/ingest/src/ingest-service.ts';
import { WorkerEnv, workerConfig } from '../../services/node-worker/src/config.ts';
import { type RunningWorker, startWorker } from '../../services/node-worker/src/worker-service.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { parseConfig } from '../../shared/src/config.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { getStatus, sha256 } from '../support/http.ts';
import { smallBlobIds } from '../support/store-check.ts';

interface Status {
  status: string;
  nodes: { node: string; state: string; sha256?: string; reason?: string }[];
}

import { filesUnder } from '../support/store-check.ts';
import { waitFor } from '../support/wait-for.ts';

const API_TOKEN = 'api-token-that-must-never-be-logged';
const CLUSTER_TOKEN = 'cluster-token-that-must-never-be-logged';
const WRONG_TOKEN = 'a-wrong-cluster-token-also-never-logged';

/** Node `good` has the cluster token, `wrong` another one, `none` no token at all. */
const workers: Record<string, string | undefined> = {
  good: CLUSTER_TOKEN,
  wrong: WRONG_TOKEN,
  none: undefined,
};

describe('the cluster token between ingest and real workers', () => {
  const broker = new MemoryBroker();
  let logs = '';
  const destination = {
    write: (line: string) => {
      logs += line;
    },
  };
  let dir = '';
  let ingest: RunningIngest;
  const running: RunningWorker[] = [];
  let status: Status;
  let id = '';
  // Past any inline limit: the token guards the pull over HTTP, which small files may skip.
  const bytes = Buffer.alloc(256 * 1024, 'replicated only to workers that present the cluster token');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-cluster-token-'));
    const common = { DFR_AMQP_PREFIX: 'cluster-token', DFR_DELIVERY_LIMIT: '2', DFR_HOST: '127.0.0.1' };
    const ingestEnv = parseConfig(IngestEnv, {
      ...common,
      DFR_PORT: '0',
      DFR_DATA_DIR: join(dir, 'data'),
      DFR_NODES: Object.keys(workers).join(','),
      DFR_API_TOKEN: API_TOKEN,
      DFR_CLUSTER_TOKEN: CLUSTER_TOKEN,
      DFR_INLINE_MAX_BYTES: '0',
    });
    const ingestLogger = createLogger({ service: 'ingest' }, 'debug', destination);
    ingest = await startIngest(ingestConfig(ingestEnv), broker, ingestLogger);
    for (const [nodeId, clusterToken] of Object.entries(workers)) {
      const workerEnv = parseConfig(WorkerEnv, {
        ...common,
        DFR_NODE_ID: nodeId,
        DFR_NODE_DIR: join(dir, 'nodes', nodeId),
        DFR_NODE_PORT: '0',
        DFR_HEARTBEAT_INTERVAL_MS: '1000',
        DFR_CLUSTER_TOKEN: clusterToken,
      });
      const logger = createLogger({ service: 'node-worker', node: nodeId }, 'debug', destination);
      running.push(await startWorker(workerConfig(workerEnv), broker, logger));
    }
    const response = await fetch(`${ingest.url}/files/replicated.txt`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_TOKEN}` },
      body: new Uint8Array(bytes),
    });
    expect(response.status).toBe(201);
    ({ id } = (await response.json()) as { id: string });
    await waitFor(
      async () => (await getStatus(ingest.url, id)).nodes.every((n) => n.state !== 'pending'),
      30_000,
      'every replica to be stored or failed',
    );
    status = (await (await fetch(`${ingest.url}/files/${id}/status`)).json()) as Status;
  });

  afterAll(async () => {
    await Promise.all(running.map((worker) => worker.stop()));
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const nodeState = (node: string) => status.nodes.find((n) => n.node === node);

  it('replicates to the worker that sends the right token', async () => {
    expect(nodeState('good')).toMatchObject({ state: 'stored', sha256: sha256(bytes) });
    expect(status.status).toBe('UPLOAD_OK 1');
  });

  it.each(['wrong', 'none'])('gives up on the worker with token %s, which stores nothing', async (node) => {
    expect(nodeState(node)).toMatchObject({ state: 'failed' });
    expect(nodeState(node)?.reason).toMatch(/401/);
    const store = join(dir, 'nodes', node);
    expect((await filesUnder(store)).filter((f) => !f.startsWith('.tmp/') && !/^small\.db/.test(f))).toEqual(
      [],
    );
    expect(smallBlobIds(store)).toEqual([]);
  });

  it.each([
    ['the whole main copy, unchecked', '', undefined, 200, [0, bytes.length - 1]],
    ['the whole main copy, verified', '?verify=1', undefined, 200, [0, bytes.length - 1]],
    ['a range in the middle', '', 'bytes=1000-200000', 206, [1000, 200_000]],
    ['the last bytes', '', 'bytes=-10', 206, [bytes.length - 10, bytes.length - 1]],
  ] as const)('sends workers %s', async (_what, query, range, code, [start, end]) => {
    const response = await fetch(`${ingest.url}/internal/blobs/${id}${query}`, {
      headers: { authorization: `Bearer ${CLUSTER_TOKEN}`, ...(range ? { range } : {}) },
    });
    expect(response.status).toBe(code);
    const got = Buffer.from(await response.arrayBuffer());
    expect(got.equals(bytes.subarray(start, end + 1))).toBe(true);
    expect(response.headers.get('content-length')).toBe(String(end - start + 1));
  });

  it('never writes a token to a log line', () => {
    expect(logs).toContain('replica stored');
    for (const token of [API_TOKEN, CLUSTER_TOKEN, WRONG_TOKEN]) expect(logs).not.toContain(token);
  });
});
