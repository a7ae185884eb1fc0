import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerApp } from '../../services/node-worker/src/app.ts';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { listen } from '../../shared/src/http/listen.ts';
import { silentLogger } from '../../shared/src/logger.ts';

const API_TOKEN = 'node-download-api-token';
const CLUSTER_TOKEN = 'node-download-cluster-token';

describe('a node worker with DFR_PROTECT_DOWNLOADS', () => {
  let dir = '';
  let server: Server;
  let base = '';
  const id = randomUUID();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-node-auth-'));
    const store = new TieredBlobStore(dir);
    await store.open();
    await store.put(id, Readable.from([Buffer.from('held by the node')]), { name: 'held.txt' });
    const access = { protectDownloads: true, apiToken: API_TOKEN, clusterToken: CLUSTER_TOKEN };
    server = await listen(
      createWorkerApp({ nodeId: 'node1', store, logger: silentLogger(), access }),
      '127.0.0.1',
      0,
      60_000,
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it.each([
    { with: 'no token', token: undefined, status: 401 },
    { with: 'a wrong token', token: 'wrong', status: 401 },
    { with: 'the API token', token: API_TOKEN, status: 200 },
    { with: 'the cluster token (how ingest falls back to a node)', token: CLUSTER_TOKEN, status: 200 },
  ])('answers a download with $with: $status', async ({ token, status }) => {
    const response = await get(`/files/${id}`, token);
    expect(response.status).toBe(status);
    if (status === 401)
      expect(await response.json()).toEqual({
        error: { code: 'UNAUTHORIZED', message: 'missing or wrong token' },
      });
    else expect(await response.text()).toBe('held by the node');
  });

  it('keeps health open', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });
});
