import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload, type UploadOptions } from 'tus-js-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { startCuttingProxy } from '../support/cutting-proxy.ts';
import { download, getStatus, sha256, waitForReplicas } from '../support/http.ts';
import { freePort } from '../support/private-rabbit.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';

const NODES = ['node1', 'node2', 'node3'];
const MiB = 1024 * 1024;
const TOKEN = 'token-of-the-tus-client-suite';
const amqpUrl = resolveAmqpUrl();

/** One request as tus-js-client sent it, and the answer it got. */
interface Exchange {
  method: string;
  offset: number | undefined;
  status?: number;
  serverOffset?: number | undefined;
}

/**
 * tus-js-client 4.3.1 from Node, the client Uppy uses, against ingest and three workers as
 * separate processes on RabbitMQ. Each upload is interrupted mid-way, resumes from the offset the
 * server reports, and ends as a file at UPLOAD_OK 3 with the same bytes on every node.
 */
describeWithRabbit('tus-js-client against a cluster of processes', amqpUrl, (url) => {
  const prefix = uniquePrefix();
  const processes: ServiceProcess[] = [];
  let ingestProcess: ServiceProcess | undefined;
  let dir = '';
  let ingestPort = 0;
  let ingest = '';

  const startIngest = async () => {
    ingestProcess = await startService('ingest', 'ingest', [], {
      AMQP_URL: url,
      DFR_AMQP_PREFIX: prefix,
      DFR_HOST: '127.0.0.1',
      DFR_PORT: String(ingestPort),
      DFR_DATA_DIR: join(dir, 'data'),
      DFR_API_TOKEN: TOKEN,
      DFR_HEARTBEAT_INTERVAL_MS: '1000',
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-tus-clients-'));
    ingestPort = await freePort();
    ingest = `http://127.0.0.1:${ingestPort}`;
    await startIngest();
    for (const node of NODES) {
      const worker = await startService(
        'worker',
        node,
        ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)],
        { AMQP_URL: url, DFR_AMQP_PREFIX: prefix, DFR_HOST: '127.0.0.1', DFR_HEARTBEAT_INTERVAL_MS: '1000' },
      );
      processes.push(worker);
    }
  });

  afterAll(async () => {
    await Promise.all([ingestProcess, ...processes].map((p) => p?.stop()));
    await deleteTopology(url, prefix, NODES);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** tus-js-client's options with the token, short retries, and every exchange recorded. */
  const clientOptions = (endpoint: string, log: Exchange[], name: string): UploadOptions => ({
    endpoint,
    headers: { Authorization: `Bearer ${TOKEN}` },
    metadata: { filename: name, filetype: 'application/octet-stream' },
    retryDelays: [100, 300, 600, 1000, 2000, 3000, 5000],
    onBeforeRequest: (req) => {
      const offset = req.getHeader('Upload-Offset');
      log.push({ method: req.getMethod(), offset: offset === undefined ? undefined : Number(offset) });
    },
    onAfterResponse: (_req, res) => {
      const last = log.at(-1);
      const offset = res.getHeader('Upload-Offset');
      if (last) Object.assign(last, { status: res.getStatus(), serverOffset: offset && Number(offset) });
    },
  });

  /** Runs an upload to its end and resolves with the file id of its last answer. */
  const finish = (upload: Upload) =>
    new Promise<string>((resolve, reject) => {
      upload.options.onSuccess = ({ lastResponse }) => resolve(lastResponse.getHeader('x-dfr-file-id') ?? '');
      upload.options.onError = reject;
      upload.start();
    });

  /** UPLOAD_OK 3, and exactly `bytes` from ingest and from every node that /nodes lists. */
  const expectEverywhere = async (fileId: string, bytes: Buffer, name: string) => {
    expect(fileId).toMatch(/^[0-9a-f-]{36}$/);
    await waitForReplicas(ingest, fileId, 3);
    expect(await getStatus(ingest, fileId)).toMatchObject({
      name,
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const nodes = z
      .array(z.object({ id: z.string(), url: z.string() }))
      .parse(await (await fetch(`${ingest}/nodes`)).json());
    expect(nodes.map((n) => n.id).sort()).toEqual(NODES);
    for (const source of [ingest, ...nodes.map((n) => n.url)]) {
      const got = await download(`${source}/files/${fileId}`);
      expect(got.status, source).toBe(200);
      expect(got.bytes.equals(bytes), source).toBe(true);
    }
  };

  it('a connection cut mid-PATCH resumes by itself from the offset the server kept', async () => {
    const bytes = randomBytes(6 * MiB);
    const proxy = await startCuttingProxy(ingestPort, 2 * MiB + 12_345);
    try {
      const log: Exchange[] = [];
      const upload = new Upload(
        bytes,
        clientOptions(`http://127.0.0.1:${proxy.port}/uploads/`, log, 'cut.bin'),
      );
      const fileId = await finish(upload);
      expect(proxy.cuts()).toBe(1);
      // The cut PATCH got no answer; the HEAD after it told where the server stood, mid-chunk.
      const head = log.find((e) => e.method === 'HEAD');
      const kept = head?.serverOffset ?? 0;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(bytes.length);
      expect(log.slice(log.indexOf(head as Exchange) + 1)[0]).toMatchObject({
        method: 'PATCH',
        offset: kept,
      });
      await expectEverywhere(fileId, bytes, 'cut.bin');
    } finally {
      await proxy.close();
    }
  });

  it('an aborted upload of a file resumes through its URL, from the offset HEAD reports', async () => {
    const path = join(dir, 'paused.bin');
    const bytes = randomBytes(5 * MiB);
    await writeFile(path, bytes);
    const log: Exchange[] = [];
    const options = { ...clientOptions(`${ingest}/uploads/`, log, 'paused.bin'), chunkSize: MiB };
    const first = new Upload(createReadStream(path), options);
    await new Promise<void>((resolve, reject) => {
      first.options.onChunkComplete = (_size, accepted) => {
        if (accepted >= 2 * MiB) void first.abort().then(resolve);
      };
      first.options.onError = reject;
      first.start();
    });
    const uploadUrl = first.url;
    expect(uploadUrl).toMatch(/\/uploads\/[0-9a-f]{32}$/);
    const resumedAt = log.length;
    const fileId = await finish(new Upload(createReadStream(path), { ...options, uploadUrl }));
    const [head, patch] = log.slice(resumedAt);
    expect(head).toMatchObject({ method: 'HEAD', status: 200, serverOffset: 2 * MiB });
    expect(patch).toMatchObject({ method: 'PATCH', offset: 2 * MiB });
    await expectEverywhere(fileId, bytes, 'paused.bin');
  });

  it('an upload survives ingest killed mid-way: the offsets were durable, the client retries', async () => {
    const bytes = randomBytes(6 * MiB);
    const log: Exchange[] = [];
    let restarted: Promise<void> | undefined;
    const upload = new Upload(bytes, {
      ...clientOptions(`${ingest}/uploads/`, log, 'crash.bin'),
      chunkSize: MiB,
      onChunkComplete: (_size, accepted) => {
        if (accepted < 3 * MiB || restarted) return;
        restarted = (async () => {
          await ingestProcess?.kill();
          await startIngest();
        })();
      },
    });
    const fileId = await finish(upload);
    await restarted;
    // After the restart the client asked where the upload stood and went on from there.
    const head = log.find((e) => e.method === 'HEAD' && e.status === 200);
    expect(head?.serverOffset).toBeGreaterThanOrEqual(3 * MiB);
    await expectEverywhere(fileId, bytes, 'crash.bin');
  });
});
