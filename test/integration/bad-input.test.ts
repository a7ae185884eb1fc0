import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestConfig, IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { type RunningIngest, startIngest } from '../../services/ingest/src/ingest-service.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { parseConfig } from '../../shared/src/config.ts';
import { silentLogger } from '../../shared/src/logger.ts';
import { deleteTopology, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { chromiumAvailable } from '../support/chromium.ts';
import { repoRoot, type ServiceProcess } from '../support/processes.ts';
import { blobIds, storeProblems } from '../support/store-check.ts';
import { waitFor } from '../support/wait-for.ts';
import { authCases } from './bad-input/auth-cases.ts';
import { closeBrowser, startBrowser } from './bad-input/browser.ts';
import { removeCurlFiles } from './bad-input/curl.ts';
import { earlyAnswerCases } from './bad-input/early-answer-cases.ts';
import { formCases } from './bad-input/form-cases.ts';
import {
  API_TOKEN,
  type BadInputCase,
  CLUSTER_TOKEN,
  call,
  errorOf,
  MAX_UPLOAD_BYTES,
  SAMPLE,
  type ServerName,
  statusOf,
  type Target,
} from './bad-input/harness.ts';
import { limitCases } from './bad-input/limit-cases.ts';
import { lingerCases } from './bad-input/linger-cases.ts';
import { lookupCases } from './bad-input/lookup-cases.ts';
import { nameCases } from './bad-input/name-cases.ts';
import {
  canMountTmpfs,
  mountTmpfs,
  type ProcessServerName,
  startIngestProcess,
  unmount,
} from './bad-input/process-servers.ts';
import { protocolCases } from './bad-input/protocol-cases.ts';

const badInputCases: BadInputCase[] = [
  ...formCases,
  ...limitCases,
  ...nameCases,
  ...lookupCases,
  ...authCases,
  ...protocolCases,
  ...earlyAnswerCases,
  ...lingerCases,
];

const overrides: Record<Exclude<ServerName, ProcessServerName>, Partial<IngestConfig>> = {
  main: { apiToken: API_TOKEN, clusterToken: CLUSTER_TOKEN },
  slow: { idleTimeoutMs: 400, requestTimeoutMs: 1_500 },
  guarded: { apiToken: API_TOKEN, protectDownloads: true },
};

const amqpUrl = resolveAmqpUrl();
const browserWorks = chromiumAvailable('the browser cases of the bad-input suite');
const tmpfsWorks = await canMountTmpfs();
if (!tmpfsWorks) {
  const reason = 'cannot mount a tmpfs (not root?)';
  if (process.env.CI === 'true') throw new Error(`the full-disk cases need a tmpfs on CI: ${reason}`);
  console.warn(`\n${'!'.repeat(78)}\n!! FULL-DISK BAD-INPUT CASES SKIPPED: ${reason}\n${'!'.repeat(78)}\n`);
}
/** Spawned ingest processes need RabbitMQ (resolveAmqpUrl skips loudly, or fails on CI, without it). */
const processServers: ProcessServerName[] =
  amqpUrl === undefined ? [] : ['edge', 'cutoff', ...(tmpfsWorks ? (['full'] as const) : [])];
const servers = [...(Object.keys(overrides) as ServerName[]), ...processServers];
const runnable = (c: BadInputCase) => servers.includes(c.server ?? 'main') && (!c.browser || browserWorks);

/**
 * Bad input over the real ingest HTTP server (real store; in-process broker, or ingest in its
 * own process on RabbitMQ). Every case checks the status and error code, that the error body is
 * the bare JSON error, that nothing was written outside the stores or left half-written inside
 * them, and that the server still takes and serves a normal upload afterwards.
 */
describe('bad input', () => {
  let root = '';
  const running: RunningIngest[] = [];
  const processes: ServiceProcess[] = [];
  const prefix = uniquePrefix();
  const targets = {} as Record<ServerName, Target>;
  const dataDirs = () => Object.values(targets).map((t) => t.dataDir);

  const addTarget = async (name: ServerName, port: number, dataDir: string) => {
    const target: Target = { name, url: `http://127.0.0.1:${port}`, port, dataDir, sampleId: '' };
    const sample = await call(target, 'PUT', '/files/sample.txt', {
      body: SAMPLE,
      headers: { 'content-type': 'text/plain' },
    });
    expect(sample.status).toBe(201);
    targets[name] = { ...target, sampleId: statusOf(sample).id };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfr-bad-input-'));
    await mkdir(join(root, 'canary'));
    for (const name of Object.keys(overrides) as (keyof typeof overrides)[]) {
      const dataDir = join(root, name, 'data');
      const ingest = await startIngest(config(dataDir, overrides[name]), new MemoryBroker(), silentLogger());
      running.push(ingest);
      await addTarget(name, ingest.port, dataDir);
    }
    const url = amqpUrl;
    if (url === undefined) return;
    await Promise.all([
      ...(browserWorks ? [startBrowser()] : []),
      ...processServers.map(async (name) => {
        const dataDir = join(root, name, 'data');
        if (name === 'full') await mountTmpfs(dataDir);
        const ingest = await startIngestProcess(name, dataDir, { url, prefix });
        processes.push(ingest);
        await addTarget(name, ingest.port(), dataDir);
      }),
    ]);
  });

  afterAll(async () => {
    await closeBrowser();
    await removeCurlFiles();
    await Promise.all([...running.map((ingest) => ingest.stop()), ...processes.map((p) => p.stop())]);
    if (amqpUrl !== undefined) await deleteTopology(amqpUrl, prefix, ['node1']);
    if (processServers.includes('full')) await unmount(join(root, 'full', 'data'));
    await rm(root, { recursive: true, force: true });
  });

  for (const c of badInputCases) {
    it.skipIf(!runnable(c))(c.name, async () => {
      const target = targets[c.server ?? 'main'];
      const before = await blobIds(target.dataDir);

      const response = await c.send(target);

      expect(response.status, response.body).toBe(c.status);
      if (c.code !== undefined) {
        const error = errorOf(response);
        expect(error?.code, response.body).toBe(c.code);
        expect(error?.message).not.toMatch(/\n\s+at |\/tmp\/|\/work\/|node_modules/);
        expect(response.body).not.toContain(root);
      }
      await c.check?.(response, target);

      // Cleanup after a refused or abandoned upload may finish just after the answer.
      const created = response.status === 201 ? [statusOf(response).id] : [];
      const expected = [...before, ...created].sort();
      const settled = async () =>
        (await storeProblems(root, dataDirs())).length === 0 &&
        (await blobIds(target.dataDir)).join() === expected.join();
      await waitFor(settled, 5_000).catch(() => undefined);
      const problems = await storeProblems(root, dataDirs());
      expect(problems, problems.join('\n')).toEqual([]);
      expect(await blobIds(target.dataDir)).toEqual(expected);

      await expectNormalUpload(target);
    });
  }

  it('has as many cases as docs/SECURITY.md records, each named once', async () => {
    const security = await readFile(join(repoRoot, 'docs', 'SECURITY.md'), 'utf8');
    expect(/\*\*(\d+) cases\*\*/.exec(security)?.[1]).toBe(String(badInputCases.length));
    expect(new Set(badInputCases.map((c) => c.name)).size).toBe(badInputCases.length);
  });
});

async function expectNormalUpload(target: Target): Promise<void> {
  const bytes = Buffer.from(`a normal upload after the bad one ${Math.random()}`);
  const token = target.name === 'slow' ? null : API_TOKEN;
  const uploaded = await call(target, 'PUT', '/files/normal.txt', { body: bytes, token });
  expect(uploaded.status, uploaded.body).toBe(201);
  const downloaded = await call(target, 'GET', `/files/${statusOf(uploaded).id}`, { token });
  expect(downloaded.status).toBe(200);
  expect(downloaded.body).toBe(bytes.toString());
  const removed = await call(target, 'DELETE', `/files/${statusOf(uploaded).id}`, { token });
  expect(removed.status).toBe(204);
}

function config(dataDir: string, extra: Partial<IngestConfig>): IngestConfig {
  const env = parseConfig(IngestEnv, {
    DFR_HOST: '127.0.0.1',
    DFR_PORT: '0',
    DFR_DATA_DIR: dataDir,
    DFR_NODES: 'node1',
    DFR_AMQP_PREFIX: 'bad-input',
    DFR_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
  });
  return { ...ingestConfig(env), ...extra };
}
