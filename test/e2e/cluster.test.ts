import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { topologyNames } from '../../shared/src/broker/topology.ts';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import {
  download,
  getStatus,
  StatusBody,
  sha256,
  uploadMultipart,
  uploadPut,
  waitForReplicas,
} from '../support/http.ts';
import { runClient, type ServiceProcess, startService } from '../support/processes.ts';
import { publishRaw, queueInfo } from '../support/queues.ts';
import { waitFor } from '../support/wait-for.ts';

const NODES = ['node1', 'node2', 'node3'];
const MiB = 1024 * 1024;
const amqpUrl = resolveAmqpUrl();

/**
 * The whole pipeline as separate processes on real RabbitMQ: one ingest, two competing workers
 * for node1 and one each for node2 and node3, all on port 0 with their own stores.
 */
describeWithRabbit('cluster of separate processes over RabbitMQ', amqpUrl, (url) => {
  const prefix = uniquePrefix();
  const names = topologyNames(prefix);
  const processes: ServiceProcess[] = [];
  let dir = '';
  let ingest = '';
  /** Download URL of every worker process, node1 twice. */
  const workers: { node: string; url: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-e2e-'));
    const common = { AMQP_URL: url, DFR_AMQP_PREFIX: prefix, DFR_HEARTBEAT_INTERVAL_MS: '1000' };
    const ingestProcess = await startService('ingest', 'ingest', [], {
      ...common,
      DFR_PORT: '0',
      DFR_HOST: '127.0.0.1',
      DFR_DATA_DIR: join(dir, 'data'),
    });
    processes.push(ingestProcess);
    ingest = `http://127.0.0.1:${ingestProcess.port()}`;
    for (const [node, tag] of [
      ['node1', 'a'],
      ['node1', 'b'],
      ['node2', 'a'],
      ['node3', 'a'],
    ] as const) {
      const worker = await startService(
        'worker',
        `${node}${tag}`,
        ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)],
        { ...common, DFR_HOST: '127.0.0.1' },
      );
      processes.push(worker);
      workers.push({ node, url: `http://127.0.0.1:${worker.port()}` });
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteTopology(url, prefix, NODES);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each worker reports healthy once RabbitMQ shows it consuming', async () => {
    for (const worker of workers) {
      await waitFor(
        async () => (await fetch(`${worker.url}/healthz`)).status === 200,
        20_000,
        `${worker.url} healthy`,
      );
    }
    const q = await queueInfo(url, names.nodeQueue('node1'));
    expect(q.consumers).toBe(2);
  });

  it('has a queue per node named after it, node1 with two competing consumers', async () => {
    await waitFor(
      async () => (await queueInfo(url, names.nodeQueue('node1'))).consumers === 2,
      20_000,
      'two node1 consumers',
    );
    expect(names.nodeQueue('node1')).toContain('node1');
    expect((await queueInfo(url, names.nodeQueue('node2'))).consumers).toBe(1);
    expect((await queueInfo(url, names.nodeQueue('node3'))).consumers).toBe(1);
  });

  const cases = [0, 1, MiB, 20 * MiB].flatMap((size) => [
    { size, route: 'multipart' as const },
    { size, route: 'put' as const },
  ]);

  it.each(cases)(
    '$size B by $route reaches UPLOAD_OK 3 with identical bytes everywhere',
    async ({ size, route }) => {
      const bytes = randomBytes(size);
      const name = `file-${size}.bin`;
      const { response, body } =
        route === 'put' ? await uploadPut(ingest, name, bytes) : await uploadMultipart(ingest, name, bytes);
      expect(response.status).toBe(201);
      const created = StatusBody.parse(body);
      expect(response.headers.get('location')).toBe(`/files/${created.id}`);
      expect(created).toMatchObject({ name, size, sha256: sha256(bytes), target: 3 });
      expect(created.status).toMatch(/^UPLOAD_OK [0-3]$/);

      await waitForReplicas(ingest, created.id);
      const status = await getStatus(ingest, created.id);
      expect(status.nodes.map((n) => [n.node, n.state, n.sha256])).toEqual(
        NODES.map((node) => [node, 'stored', sha256(bytes)]),
      );
      // Both node1 workers share node1's store, so each serves the copy whichever one made it.
      for (const source of [ingest, ...workers.map((w) => w.url)]) {
        const got = await download(`${source}/files/${created.id}`);
        expect(got.status, source).toBe(200);
        expect(got.bytes.length).toBe(size);
        expect(sha256(got.bytes), source).toBe(sha256(bytes));
        expect(got.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
      }
    },
  );

  it('?wait=3 holds the 201 until three replicas are confirmed', async () => {
    const bytes = randomBytes(4096);
    const { response, body } = await uploadPut(ingest, 'waited.bin', bytes, '?wait=3&timeout=60000');
    expect(response.status).toBe(201);
    expect(StatusBody.parse(body)).toMatchObject({ status: 'UPLOAD_OK 3', replicas: 3 });
  });

  it.each([
    { what: 'a small file (inline, batched)', size: 2048 },
    { what: 'a large file (pulled)', size: 2 * MiB },
  ])('every node serves $what with the media type it was uploaded with', async ({ size }) => {
    const bytes = randomBytes(size);
    const response = await fetch(`${ingest}/files/notes.txt`, {
      method: 'PUT',
      body: new Uint8Array(bytes),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    expect(response.status).toBe(201);
    const { id } = StatusBody.parse(await response.json());
    await waitForReplicas(ingest, id);
    for (const source of [ingest, ...workers.map((w) => w.url)]) {
      const got = await download(`${source}/files/${id}`);
      expect(got.status, source).toBe(200);
      expect(got.headers.get('content-type'), source).toBe('text/plain');
    }
  });

  it('a duplicated ReplicateFile changes nothing', async () => {
    const bytes = randomBytes(10_000);
    const { body } = await uploadPut(ingest, 'dup.bin', bytes, '?wait=3&timeout=60000');
    const file = StatusBody.parse(body);
    const command = {
      type: 'ReplicateFile',
      version: 1,
      fileId: file.id,
      node: 'node2',
      size: file.size,
      sha256: file.sha256,
      sourceUrl: `${ingest}/internal/blobs/${file.id}`,
    };
    await publishRaw(url, names.replicateExchange, 'node2', Buffer.from(JSON.stringify(command)));
    await publishRaw(url, names.replicateExchange, 'node2', Buffer.from(JSON.stringify(command)));
    await waitFor(
      async () => (await queueInfo(url, names.nodeQueue('node2'))).messages === 0,
      20_000,
      'node2 queue drained',
    );
    const status = await getStatus(ingest, file.id);
    expect(status).toMatchObject({ status: 'UPLOAD_OK 3', replicas: 3 });
    const node2 = workers.find((w) => w.node === 'node2');
    expect(sha256((await download(`${node2?.url}/files/${file.id}`)).bytes)).toBe(sha256(bytes));
  });

  it('the CLI uploads, waits for three replicas and downloads from a chosen node', async () => {
    const path = join(dir, 'cli-upload.txt');
    const content = Buffer.from('replicated by the CLI\n'.repeat(1000));
    await writeFile(path, content);
    const up = await runClient(['upload', path, '--server', ingest]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const [id, response, verdict] = up.stdout.trim().split('\n');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response).toBe('Server response: UPLOAD_OK 3');
    expect(verdict).toBe('Upload Successful');

    const out = join(dir, 'cli-download.txt');
    const down = await runClient(['download', String(id), '-o', out, '--from', 'node2', '--server', ingest]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('Download Successful');
    expect(await readFile(out)).toEqual(content);

    const text = await fetch(`${ingest}/files/${id}/status`, { headers: { accept: 'text/plain' } });
    expect((await text.text()).trim()).toBe('UPLOAD_OK 3');
  });

  it('newest files are listed first, a page at a time', async () => {
    const Page = z.object({ files: z.array(StatusBody), next: z.string().nullable() });
    const first = Page.parse(await (await fetch(`${ingest}/files?limit=2`)).json());
    expect(first.files).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = Page.parse(await (await fetch(`${ingest}/files?limit=2&cursor=${first.next}`)).json());
    const seen = new Set(first.files.map((f) => f.id));
    expect(second.files.length).toBeGreaterThan(0);
    expect(second.files.some((f) => seen.has(f.id))).toBe(false);
  });

  it('reports every node healthy with its URL', async () => {
    const nodes = (await (await fetch(`${ingest}/nodes`)).json()) as { id: string; healthy: boolean }[];
    expect(nodes.map((n) => [n.id, n.healthy])).toEqual(NODES.map((n) => [n, true]));
    expect((await fetch(`${ingest}/readyz`)).status).toBe(200);
  });

  it('workers and ingest exit 0 on SIGTERM', async () => {
    const code = await processes[processes.length - 1]?.stop();
    expect(code).toBe(0);
  });
});
