import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { download, getStatus, StatusBody, sha256, uploadPut, waitForReplicas } from '../support/http.ts';
import { createTestDatabase, resolvePostgresUrl, type TestDatabase } from '../support/postgres.ts';
import { freePort } from '../support/private-rabbit.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';
import { sleep, waitFor } from '../support/wait-for.ts';

const NODES = ['node1', 'node2', 'node3'];
const MiB = 1024 * 1024;
const TOKEN = 'cluster-secret';
const amqpUrl = resolveAmqpUrl();
const postgresUrl = resolvePostgresUrl();

interface Uploaded {
  id: string;
  bytes: Buffer;
}

const Instances = z.array(z.object({ id: z.string(), url: z.string(), alive: z.boolean() }));

/**
 * Two ingest instances on one PostgreSQL database and one broker, each with its own data
 * directory and port, and one worker per node: any instance answers for any file, and one
 * killed under load loses nothing acknowledged.
 */
describeWithRabbit('two ingest instances on PostgreSQL', postgresUrl ? amqpUrl : undefined, (url) => {
  const prefix = uniquePrefix();
  const processes = new Map<string, ServiceProcess>();
  let dir = '';
  let database: TestDatabase;
  const ports: Record<'a' | 'b', number> = { a: 0, b: 0 };
  const base = (which: 'a' | 'b') => `http://127.0.0.1:${ports[which]}`;
  const common = () => ({
    AMQP_URL: url,
    DFR_AMQP_PREFIX: prefix,
    DFR_HOST: '127.0.0.1',
    DFR_CLUSTER_TOKEN: TOKEN,
    DFR_HEARTBEAT_INTERVAL_MS: '1000',
    DFR_DELIVERY_LIMIT: '20',
  });

  const startIngest = async (which: 'a' | 'b') => {
    const ingest = await startService('ingest', `ingest-${which}`, [], {
      ...common(),
      DFR_DATABASE_URL: database.url,
      DFR_PORT: String(ports[which]),
      DFR_PUBLIC_URL: base(which),
      DFR_DATA_DIR: join(dir, which),
      DFR_REPUBLISH_AFTER_MS: '3000',
      DFR_RECONCILE_INTERVAL_MS: '500',
    });
    processes.set(which, ingest);
  };

  const put = async (which: 'a' | 'b', size: number, query = ''): Promise<Uploaded> => {
    const bytes = randomBytes(size);
    const { response, body } = await uploadPut(base(which), `f${size}.bin`, bytes, query);
    expect(response.status).toBe(201);
    return { id: StatusBody.parse(body).id, bytes };
  };

  /** At UPLOAD_OK 3, and the same bytes from both instances. */
  const expectServedByBoth = async (files: Uploaded[], timeoutMs = 60_000) => {
    for (const file of files) {
      await waitForReplicas(base('b'), file.id, 3, timeoutMs);
      for (const which of ['a', 'b'] as const) {
        const got = await download(`${base(which)}/files/${file.id}`);
        expect(got.status, `${which} ${file.id}`).toBe(200);
        expect(sha256(got.bytes), `${which} ${file.id}`).toBe(sha256(file.bytes));
      }
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-two-ingests-'));
    database = await createTestDatabase(postgresUrl ?? '');
    ports.a = await freePort();
    ports.b = await freePort();
    await Promise.all([startIngest('a'), startIngest('b')]);
    await Promise.all(
      NODES.map(async (node) => {
        const args = ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)];
        processes.set(node, await startService('worker', node, args, common()));
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([...processes.values()].map((p) => p.stop()));
    await deleteTopology(url, prefix, NODES);
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each instance knows the other', async () => {
    for (const which of ['a', 'b'] as const) {
      await waitFor(
        async () => {
          const instances = Instances.parse(await (await fetch(`${base(which)}/instances`)).json());
          return instances.filter((i) => i.alive).length === 2;
        },
        15_000,
        `${which} to see both instances`,
      );
    }
  });

  it('uploads spread over both reach UPLOAD_OK 3; status, list and bytes come from either', async () => {
    const files = await Promise.all([
      put('a', 4096),
      put('b', 4096),
      put('a', 2 * MiB),
      put('b', 2 * MiB),
      put('a', 0),
    ]);
    await expectServedByBoth(files);
    for (const which of ['a', 'b'] as const) {
      const listed = z
        .object({ files: z.array(StatusBody) })
        .parse(await (await fetch(`${base(which)}/files?limit=1000`)).json());
      expect(listed.files.map((f) => f.id)).toEqual(expect.arrayContaining(files.map((f) => f.id)));
      expect((await getStatus(base(which), files[2]?.id ?? '')).status).toBe('UPLOAD_OK 3');
    }
    // A range of a main copy held by the other instance.
    const large = files[2] as Uploaded;
    const ranged = await fetch(`${base('b')}/files/${large.id}`, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(large.bytes.subarray(100, 200));
  });

  it('?wait=3 on one instance is woken by acks whichever instance consumed them', async () => {
    // The instances share the events queue, so about half of these acks reach the other one.
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const { body } = await uploadPut(base('a'), 'w.bin', randomBytes(2048), '?wait=3&timeout=20000');
        return StatusBody.parse(body).status;
      }),
    );
    expect(answers).toEqual(Array(6).fill('UPLOAD_OK 3'));
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a delete taken by one instance removes the main copy the other holds', async () => {
    const file = await put('a', MiB);
    await waitForReplicas(base('a'), file.id);
    const blob = join(dir, 'a', 'blobs', file.id.slice(0, 2), file.id);
    await access(blob);
    const response = await fetch(`${base('b')}/files/${file.id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    for (const which of ['a', 'b'] as const) {
      expect((await fetch(`${base(which)}/files/${file.id}/status`)).status).toBe(404);
    }
    await waitFor(
      () =>
        access(blob).then(
          () => false,
          () => true,
        ),
      10_000,
      "the main copy gone from a's data directory",
    );
  });

  it('kill -9 of one instance under load: the other keeps taking uploads, nothing acknowledged is lost', async () => {
    const accepted: Uploaded[] = [];
    const acceptedBy = { a: 0, b: 0 };
    let loading = true;
    const lane = async (lane: number) => {
      for (let i = 0; loading; i++) {
        const which = (lane + i) % 2 === 0 ? 'a' : 'b';
        const bytes = randomBytes(i % 4 === 0 ? 300 * 1024 : 4096);
        const response = await fetch(`${base(which)}/files/load.bin`, {
          method: 'PUT',
          body: new Uint8Array(bytes),
        }).catch(() => undefined);
        if (response?.status === 201) {
          accepted.push({ id: StatusBody.parse(await response.json()).id, bytes });
          acceptedBy[which] += 1;
        } else {
          await response?.arrayBuffer();
          await sleep(50);
        }
      }
    };
    const lanes = Promise.all([0, 1, 2, 3].map(lane));
    await sleep(2_000);
    await processes.get('a')?.kill();
    const beforeRestart = acceptedBy.b;
    await sleep(2_000);
    expect(acceptedBy.b).toBeGreaterThan(beforeRestart);
    await startIngest('a');
    await sleep(1_500);
    loading = false;
    await lanes;
    expect(acceptedBy.a).toBeGreaterThan(0);
    await expectServedByBoth(accepted, 45_000);
  });
});
