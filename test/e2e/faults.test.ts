import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topologyNames } from '../../shared/src/broker/topology.ts';
import { smallTableDamage } from '../support/blob-damage.ts';
import { download, getStatus, StatusBody, sha256, uploadPut, waitForReplicas } from '../support/http.ts';
import {
  canRunPrivateRabbit,
  freePort,
  type PrivateRabbit,
  startPrivateRabbit,
} from '../support/private-rabbit.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';
import { publishRaw, queueInfo } from '../support/queues.ts';
import { smallBlobIds } from '../support/store-check.ts';
import { waitFor } from '../support/wait-for.ts';

const NODES = ['node1', 'node2', 'node3'] as const;
type Node = (typeof NODES)[number];
const MiB = 1024 * 1024;

/** Damages a stored copy in place: XORs one byte of the file with `mask`. */
async function flipBits(path: string, index: number, mask: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[index] = (bytes[index] ?? 0) ^ mask;
  await writeFile(path, bytes);
}

const privateRabbitAvailable = await canRunPrivateRabbit();
if (!privateRabbitAvailable) {
  const reason = 'the RabbitMQ server binaries are not installed, so no private broker can be started';
  if (process.env.CI === 'true') throw new Error(`fault tests need a private RabbitMQ on CI: ${reason}`);
  console.warn(`\n${'!'.repeat(78)}\n!! FAULT TESTS SKIPPED: ${reason}\n${'!'.repeat(78)}\n`);
}

/**
 * Faults injected into real processes on a RabbitMQ node of the test's own (stopped, cut off and
 * restarted here, never the shared one). Every test ends with every accepted file at
 * UPLOAD_OK 3 and identical bytes on every node.
 */
describe.skipIf(!privateRabbitAvailable)('faults: nothing acknowledged is lost', () => {
  let rabbit: PrivateRabbit;
  let dir = '';
  let ingestPort = 0;
  let ingest = '';
  let ingestProcess: ServiceProcess | undefined;
  const workers = new Map<Node, ServiceProcess>();
  const prefix = 'faults';
  const names = topologyNames(prefix);

  const common = () => ({
    AMQP_URL: rabbit.url,
    DFR_AMQP_PREFIX: prefix,
    DFR_HOST: '127.0.0.1',
    DFR_HEARTBEAT_INTERVAL_MS: '500',
    DFR_DELIVERY_LIMIT: '20',
  });

  const startIngest = async () => {
    ingestProcess = await startService('ingest', 'ingest', [], {
      ...common(),
      DFR_PORT: String(ingestPort),
      DFR_DATA_DIR: join(dir, 'data'),
      DFR_REPUBLISH_AFTER_MS: '3000',
      DFR_RECONCILE_INTERVAL_MS: '500',
    });
  };

  const startWorker = async (node: Node, extra: Record<string, string> = {}) => {
    const worker = await startService(
      'worker',
      node,
      ['--node', node, '--port', '0', '--dir', storeOf(node)],
      {
        ...common(),
        ...extra,
      },
    );
    workers.set(node, worker);
    return worker;
  };

  const storeOf = (node: Node) => join(dir, 'nodes', node);
  const workerUrl = (node: Node) => `http://127.0.0.1:${workers.get(node)?.port()}`;

  /** Every file at UPLOAD_OK 3, byte-identical from ingest and from every node. */
  const expectEverywhere = async (files: { id: string; bytes: Buffer }[], timeoutMs = 60_000) => {
    for (const file of files) {
      await waitForReplicas(ingest, file.id, 3, timeoutMs);
      for (const source of [ingest, ...NODES.map(workerUrl)]) {
        const got = await download(`${source}/files/${file.id}`);
        expect(got.status, `${source} ${file.id}`).toBe(200);
        expect(sha256(got.bytes), `${source} ${file.id}`).toBe(sha256(file.bytes));
      }
    }
  };

  const put = async (size: number, name = `f${size}.bin`) => {
    const bytes = randomBytes(size);
    const { response, body } = await uploadPut(ingest, name, bytes);
    expect(response.status).toBe(201);
    return { id: StatusBody.parse(body).id, bytes, status: StatusBody.parse(body).status };
  };

  beforeAll(async () => {
    rabbit = await startPrivateRabbit();
    dir = await mkdtemp(join(tmpdir(), 'dfr-faults-'));
    ingestPort = await freePort();
    ingest = `http://127.0.0.1:${ingestPort}`;
    await startIngest();
    for (const node of NODES) await startWorker(node);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([ingestProcess, ...workers.values()].map((p) => p?.stop()));
    await rabbit?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('a worker killed mid-copy leaves only a temporary file, swept at its restart; the copy completes', async () => {
    await workers.get('node1')?.stop();
    await startWorker('node1', { DFR_FAULTS: 'slow-copy' });
    const file = await put(4 * MiB, 'slow.bin');
    const tmpRoot = join(storeOf('node1'), '.tmp');
    const partFiles = async () =>
      (await readdir(tmpRoot, { recursive: true })).filter((entry) => String(entry).endsWith('.part'));
    await waitFor(async () => (await partFiles()).length > 0, 30_000, 'a copy under way on node1');

    await workers.get('node1')?.kill();
    expect((await partFiles()).length).toBeGreaterThan(0);
    expect((await download(`${ingest}/files/${file.id}/status`)).status).toBe(200);
    const node1 = (await getStatus(ingest, file.id)).nodes.find((n) => n.node === 'node1');
    expect(node1?.state).toBe('pending');

    await startWorker('node1');
    await expectEverywhere([file]);
    expect(await partFiles()).toEqual([]);
  });

  it('a worker killed after storing a batch of small files, before reporting it, reports them after its restart', async () => {
    await workers.get('node1')?.stop();
    const doomed = await startWorker('node1', { DFR_FAULTS: 'crash-after-batch-stored' });
    const files = await Promise.all(Array.from({ length: 8 }, (_, i) => put(1024 + i, `batch-${i}.bin`)));
    await waitFor(() => doomed.child.signalCode === 'SIGKILL', 30_000, 'node1 to crash after a batch');
    // Small files are rows of node1's table: stored, their transaction committed, not reported.
    const held = new Set(smallBlobIds(storeOf('node1')));
    expect(files.some((f) => held.has(f.id))).toBe(true);
    for (const file of files) {
      const node1 = (await getStatus(ingest, file.id)).nodes.find((n) => n.node === 'node1');
      expect(node1?.state).toBe('pending');
    }

    await startWorker('node1');
    await expectEverywhere(files);
  });

  it('uploads while the broker is down answer 201 and replicate once it is back', async () => {
    await rabbit.stopApp();
    await waitFor(async () => (await fetch(`${ingest}/readyz`)).status === 503, 20_000, 'ingest not ready');
    const files = [await put(1000), await put(0), await put(MiB)];
    expect(files.map((f) => f.status)).toEqual(['UPLOAD_OK 0', 'UPLOAD_OK 0', 'UPLOAD_OK 0']);
    await rabbit.startApp();
    await waitFor(async () => (await fetch(`${ingest}/readyz`)).status === 200, 60_000, 'ingest ready again');
    await expectEverywhere(files, 90_000);
  });

  it('connections closed from the server side are re-established', async () => {
    await rabbit.closeAllConnections();
    const files = [await put(2000), await put(3000)];
    await expectEverywhere(files, 90_000);
  });

  it('ingest killed right after a 201 converges after its restart', async () => {
    const file = await put(512 * 1024, 'crash.bin');
    await ingestProcess?.kill();
    await startIngest();
    await expectEverywhere([file], 90_000);
  });

  it('duplicate and stray events change nothing', async () => {
    const file = await put(777, 'dup-events.bin');
    await waitForReplicas(ingest, file.id);
    const stored = {
      type: 'ReplicaStored',
      version: 1,
      fileId: file.id,
      node: 'node2',
      sha256: sha256(file.bytes),
      size: file.bytes.length,
      storedAt: new Date().toISOString(),
    };
    await publishRaw(rabbit.url, names.eventsExchange, 'replica.stored', Buffer.from(JSON.stringify(stored)));
    await publishRaw(rabbit.url, names.eventsExchange, 'replica.stored', Buffer.from(JSON.stringify(stored)));
    const stray = { ...stored, fileId: '00000000-0000-4000-8000-000000000000' };
    await publishRaw(rabbit.url, names.eventsExchange, 'replica.stored', Buffer.from(JSON.stringify(stray)));
    const wrongHash = { ...stored, node: 'node9', sha256: 'f'.repeat(64) };
    await publishRaw(
      rabbit.url,
      names.eventsExchange,
      'replica.stored',
      Buffer.from(JSON.stringify(wrongHash)),
    );
    await waitFor(
      async () => (await queueInfo(rabbit.url, names.ingestEventsQueue)).messages === 0,
      20_000,
      'events consumed',
    );
    expect(await getStatus(ingest, file.id)).toMatchObject({ status: 'UPLOAD_OK 3', replicas: 3 });
  });

  it('garbage and schema-invalid messages in every queue are dead-lettered while everything keeps running', async () => {
    const before = (await queueInfo(rabbit.url, names.deadLetterQueue)).messages;
    const bad = [
      Buffer.from('not json at all'),
      Buffer.from('{"type":"ReplicateFile","version":1}'),
      Buffer.alloc(0),
    ];
    for (const body of bad) {
      for (const node of NODES) await publishRaw(rabbit.url, names.replicateExchange, node, body);
      await publishRaw(rabbit.url, names.eventsExchange, 'replica.stored', body);
    }
    const expected = before + bad.length * (NODES.length + 1);
    await waitFor(
      async () => (await queueInfo(rabbit.url, names.deadLetterQueue)).messages === expected,
      30_000,
      `${expected} dead letters`,
    );
    for (const worker of [ingestProcess, ...workers.values()]) expect(worker?.child.exitCode).toBeNull();
    await expectEverywhere([await put(4096, 'after-poison.bin')]);
  });

  it('a delete reaches a node that was down during it', async () => {
    const file = await put(2048, 'to-delete.bin');
    await expectEverywhere([file]);
    await workers.get('node2')?.stop();
    const response = await fetch(`${ingest}/files/${file.id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect((await fetch(`${ingest}/files/${file.id}`)).status).toBe(404);
    for (const node of ['node1', 'node3'] as const) {
      await waitFor(
        // A pooled keep-alive connection may be found closed; the next probe opens a new one.
        () =>
          fetch(`${workerUrl(node)}/files/${file.id}`).then(
            (r) => r.status === 404,
            () => false,
          ),
        20_000,
        `${node} delete`,
      );
    }
    // A small file: a row of node2's table, still there while node2 was down.
    expect(smallBlobIds(storeOf('node2'))).toContain(file.id);
    await startWorker('node2');
    await waitFor(() => !smallBlobIds(storeOf('node2')).includes(file.id), 30_000, 'node2 delete');
    expect((await fetch(`${ingest}/files/${file.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('with its main copy gone, a file is served from a node and the main copy is repaired', async () => {
    const file = await put(300_000, 'main-gone.bin');
    await expectEverywhere([file]);
    const blob = join(dir, 'data', 'blobs', file.id.slice(0, 2), file.id);
    await rm(blob);
    await rm(`${blob}.json`);
    const got = await download(`${ingest}/files/${file.id}`);
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(sha256(file.bytes));
    await waitFor(
      async () => sha256(await readFile(blob).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      20_000,
      'main copy repaired',
    );
  });

  it('a damaged main copy is never served whole: the download fails, then the copy is repaired', async () => {
    const file = await put(3 * MiB, 'main-rot.bin');
    await expectEverywhere([file]);
    const blob = join(dir, 'data', 'blobs', file.id.slice(0, 2), file.id);
    await flipBits(blob, MiB, 0x01);
    await expect(download(`${ingest}/files/${file.id}`)).rejects.toThrow();
    await waitFor(
      async () => sha256(await readFile(blob).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      20_000,
      'main copy repaired',
    );
    expect(sha256((await download(`${ingest}/files/${file.id}`)).bytes)).toBe(sha256(file.bytes));
  });

  it('a damaged main copy met by a re-replication is refused by the worker, found on its retry and repaired', async () => {
    const file = await put(2 * MiB, 'main-rot-pull.bin');
    await expectEverywhere([file]);
    // Ingest serves workers unchecked; only the worker's retry asks it to verify.
    const main = join(dir, 'data', 'blobs', file.id.slice(0, 2), file.id);
    await flipBits(main, MiB, 0x04);
    const replica = join(storeOf('node2'), 'blobs', file.id.slice(0, 2), file.id);
    await flipBits(replica, 10, 0x01);

    const scrub = await fetch(`${workerUrl('node2')}/admin/scrub`, { method: 'POST' });
    expect(((await scrub.json()) as { removed: string[] }).removed).toEqual([file.id]);
    await waitFor(
      () => /main copy is damaged/.test(ingestProcess?.output() ?? ''),
      30_000,
      'ingest to find its damaged main copy on the verified retry',
    );
    await waitFor(
      async () => sha256(await readFile(main).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      30_000,
      'main copy repaired',
    );
    await waitFor(
      async () => sha256(await readFile(replica).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      30_000,
      'node2 copy replaced',
    );
    expect(workers.get('node2')?.output()).toMatch(/expected SHA-256/);
    await expectEverywhere([file]);
  });

  it('a node never serves a damaged replica whole; the download drops it and it is replaced', async () => {
    const file = await put(2 * MiB, 'node-rot.bin');
    await expectEverywhere([file]);
    const blob = join(storeOf('node2'), 'blobs', file.id.slice(0, 2), file.id);
    await flipBits(blob, MiB + 7, 0x10);
    await expect(download(`${workerUrl('node2')}/files/${file.id}`)).rejects.toThrow();
    await waitFor(
      async () => sha256(await readFile(blob).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      20_000,
      'node2 copy replaced',
    );
    await expectEverywhere([file]);
  });

  it('a scrub on demand finds a damaged replica and it is replaced', async () => {
    const file = await put(70_000, 'scrub-now.bin');
    await expectEverywhere([file]);
    const blob = join(storeOf('node1'), 'blobs', file.id.slice(0, 2), file.id);
    await flipBits(blob, 0, 0xff);
    const response = await fetch(`${workerUrl('node1')}/admin/scrub`, { method: 'POST' });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { checked: number; removed: string[] };
    expect(report.removed).toEqual([file.id]);
    await waitFor(
      async () => sha256(await readFile(blob).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      20_000,
      'node1 copy replaced',
    );
    await expectEverywhere([file]);
  });

  it('a flipped byte in a small replica (a row) is found by a scrub and replaced', async () => {
    const file = await put(3000, 'small-rot.bin');
    await expectEverywhere([file]);
    await smallTableDamage(storeOf('node1')).corrupt(file.id);
    await expect(download(`${workerUrl('node1')}/files/${file.id}`)).rejects.toThrow();
    const response = await fetch(`${workerUrl('node1')}/admin/scrub`, { method: 'POST' });
    expect(response.status).toBe(200);
    await waitFor(
      async () => {
        const got = await download(`${workerUrl('node1')}/files/${file.id}`).catch(() => undefined);
        return got?.status === 200 && sha256(got.bytes) === sha256(file.bytes);
      },
      30_000,
      'node1 row replaced',
    );
    await expectEverywhere([file]);
  });

  it('a flipped byte in a replica is found by the scrubber, removed and replaced', async () => {
    const file = await put(100_000, 'scrub.bin');
    await expectEverywhere([file]);
    const blob = join(storeOf('node3'), 'blobs', file.id.slice(0, 2), file.id);
    await flipBits(blob, 5000, 0xff);
    expect(sha256(await readFile(blob))).not.toBe(sha256(file.bytes));

    await workers.get('node3')?.stop();
    const node3 = await startWorker('node3', { DFR_SCRUB_INTERVAL_MS: '500' });
    await waitFor(
      () => /scrub found a damaged replica/.test(node3.output()),
      30_000,
      'the scrubber to notice',
    );
    await waitFor(
      async () => sha256(await readFile(blob).catch(() => Buffer.alloc(0))) === sha256(file.bytes),
      30_000,
      'node3 copy replaced',
    );
    await expectEverywhere([file]);
  });
});
