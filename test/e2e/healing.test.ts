import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { dropAllSmallCopies, takeCopyOut } from '../support/blob-damage.ts';
import {
  download,
  getStatus,
  type StatusBody as Status,
  StatusBody,
  sha256,
  uploadPut,
} from '../support/http.ts';
import { runClient, type ServiceProcess, startService } from '../support/processes.ts';
import { waitFor } from '../support/wait-for.ts';

const amqpUrl = resolveAmqpUrl();
const NODES = ['node1', 'node2', 'node3', 'node4', 'node5', 'node6'];

const NodeView = z.object({
  id: z.string(),
  url: z.string().nullable(),
  state: z.string(),
  files: z.number(),
  drain: z.object({ remaining: z.number(), total: z.number() }).optional(),
});

/**
 * Nodes coming and going, as separate processes on real RabbitMQ: ingest expects node1-node3,
 * node4 and node5 join by heartbeat; files are placed on three of them and kept at three through
 * a node lost for good, a node coming back, lost main copies, a drain, a copy removed by hand.
 * Short intervals (a node is down after 4 s of silence) let all of it happen in a minute or two.
 */
describeWithRabbit('membership, placement and healing', amqpUrl, (url) => {
  const prefix = uniquePrefix();
  let dir = '';
  let ingest: ServiceProcess;
  let base = '';
  const workers = new Map<string, ServiceProcess>();
  /** Files wanting three replicas (and one wanting two), checked after every change. */
  const files: { id: string; bytes: Buffer }[] = [];
  /** The file wanting five replicas: more than the cluster can hold once a node is gone. */
  let five = '';
  const common = () => ({
    AMQP_URL: url,
    DFR_AMQP_PREFIX: prefix,
    DFR_HOST: '127.0.0.1',
    DFR_HEARTBEAT_INTERVAL_MS: '300',
    DFR_INVENTORY_INTERVAL_MS: '0',
  });

  const startNode = async (node: string) => {
    const worker = await startService(
      'worker',
      node,
      ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)],
      common(),
    );
    workers.set(node, worker);
    return worker;
  };
  const nodes = async () => z.array(NodeView).parse(await (await fetch(`${base}/nodes`)).json());
  const nodeUrl = async (node: string) => (await nodes()).find((n) => n.id === node)?.url ?? '';
  const statuses = async () => Promise.all(files.map((f) => getStatus(base, f.id)));
  /** True when every file has its target of verified copies on nodes that are not down. */
  const allHealed = async () => (await statuses()).every((s) => s.replicas === s.target);
  /** Every stored copy, on every node that is up, has the file's bytes. */
  const copiesMatch = async (status: Status, bytes: Buffer) => {
    for (const receipt of status.nodes.filter((n) => n.state === 'stored')) {
      const node = (await nodes()).find((n) => n.id === receipt.node);
      if (!node?.url || node.state === 'down') continue;
      const got = await download(`${node.url}/files/${status.id}`);
      expect(got.status, receipt.node).toBe(200);
      expect(sha256(got.bytes), receipt.node).toBe(sha256(bytes));
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-heal-'));
    ingest = await startService('ingest', 'ingest', [], {
      ...common(),
      DFR_PORT: '0',
      DFR_DATA_DIR: join(dir, 'data'),
      DFR_NODES: 'node1,node2,node3',
      DFR_NODE_SUSPECT_AFTER_MS: '1500',
      DFR_NODE_DOWN_AFTER_MS: '4000',
      DFR_RECONCILE_INTERVAL_MS: '300',
      DFR_REPUBLISH_AFTER_MS: '2000',
      DFR_RETRY_FAILED_AFTER_MS: '2000',
    });
    base = `http://127.0.0.1:${ingest.port()}`;
    for (const node of NODES.slice(0, 5)) await startNode(node);
  });

  afterEach((context) => {
    // What the processes said is what explains a failure here.
    if (context.task.result?.state !== 'fail') return;
    for (const process of [ingest, ...workers.values()]) {
      console.error(`--- ${process?.name} ---\n${process?.output().slice(-8_000)}`);
    }
  });

  afterAll(async () => {
    await Promise.all([ingest, ...workers.values()].map((p) => p?.stop()));
    await deleteTopology(url, prefix, NODES);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('nodes join by heartbeat: the expected three and two new ones are up', async () => {
    await waitFor(
      async () => (await nodes()).filter((n) => n.state === 'up').length === 5,
      30_000,
      'five nodes up',
    );
    expect((await nodes()).map((n) => n.id)).toEqual(NODES.slice(0, 5));
  });

  it('places 60 files on three of the five nodes each, spread over all of them', async () => {
    for (let i = 0; i < 60; i++) {
      // Small ones travel inline; every fifth is large enough to be pulled over HTTP.
      const bytes = randomBytes(i % 5 === 0 ? 200_000 : 1_000 + i);
      const { response, body } = await uploadPut(base, `f${i}.bin`, bytes);
      expect(response.status).toBe(201);
      files.push({ id: StatusBody.parse(body).id, bytes });
    }
    await waitFor(allHealed, 60_000, 'every file at UPLOAD_OK 3');
    const held = new Map<string, number>();
    for (const status of await statuses()) {
      expect(status.target).toBe(3);
      expect(new Set(status.nodes.map((n) => n.node)).size).toBe(3);
      for (const n of status.nodes) held.set(n.node, (held.get(n.node) ?? 0) + 1);
    }
    for (const node of NODES.slice(0, 5)) expect(held.get(node) ?? 0, node).toBeGreaterThan(10);
  });

  it('takes ?replicas=2 and ?replicas=5 per upload', async () => {
    for (const replicas of [2, 5]) {
      const bytes = randomBytes(5_000);
      const { body } = await uploadPut(
        base,
        `r${replicas}.bin`,
        bytes,
        `?replicas=${replicas}&wait=${replicas}`,
      );
      const status = StatusBody.parse(body);
      expect(status).toMatchObject({ target: replicas, replicas, status: `UPLOAD_OK ${replicas}` });
      if (replicas === 5) five = status.id;
      else files.push({ id: status.id, bytes });
    }
    expect((await fetch(`${base}/files/x.bin?replicas=17`, { method: 'PUT', body: 'x' })).status).toBe(400);
  });

  it('heals every file onto the other nodes when one is lost for good, byte for byte', async () => {
    await workers.get('node2')?.kill();
    await waitFor(
      async () => (await nodes()).find((n) => n.id === 'node2')?.state === 'down',
      20_000,
      'node2 down',
    );
    const fsckDuring = await runClient(['fsck', '--json', '--server', base]);
    expect(fsckDuring.stdout).toContain('"nodesDown"');
    await waitFor(allHealed, 60_000, 'every file healed without node2');
    for (const [i, status] of (await statuses()).entries()) {
      expect(
        status.nodes.filter((n) => n.node === 'node2' && n.state === 'stored' && !n.nodeDown),
        status.id,
      ).toEqual([]);
      await copiesMatch(status, files[i]?.bytes ?? Buffer.alloc(0));
    }
    // The file wanting five can have only four now.
    expect((await getStatus(base, five)).replicas).toBe(4);
    const report = await runClient(['fsck', '--json', '--server', base]);
    const parsed = JSON.parse(report.stdout) as { underReplicated: { count: number }; nodesDown: string[] };
    expect(parsed.nodesDown).toEqual(['node2']);
    expect(parsed.underReplicated.count).toBe(1);
  });

  it('trims the copies of a node that comes back, only once the others are verified', async () => {
    await startNode('node2');
    await waitFor(
      async () => (await nodes()).find((n) => n.id === 'node2')?.state === 'up',
      20_000,
      'node2 up',
    );
    await waitFor(
      async () => {
        const all = await statuses();
        // Never fewer than the target while trimming: extras go only once the others are verified.
        for (const s of all) expect(s.replicas, s.id).toBeGreaterThanOrEqual(s.target);
        return all.every((s) => s.replicas === s.target && !s.nodes.some((n) => n.displaced));
      },
      60_000,
      'the extras on node2 trimmed',
    );
    // node2's copy of the file wanting five counts again: there is no other node for it.
    await waitFor(
      async () => (await getStatus(base, five)).replicas === 5,
      30_000,
      'five copies of the wide file',
    );
    // With a node less it could never be whole again (nor could a drain move it): done with it.
    expect((await fetch(`${base}/files/${five}`, { method: 'DELETE' })).status).toBe(204);
    const node2 = await nodeUrl('node2');
    for (const status of await statuses()) {
      const onNode2 = status.nodes.some((n) => n.node === 'node2');
      const got = await fetch(`${node2}/files/${status.id}`);
      expect(got.status, status.id).toBe(onNode2 ? 200 : 404);
    }
  });

  it('heals node to node when the main copies are gone too', async () => {
    const blobs = join(dir, 'data', 'blobs');
    for (const shard of await readdir(blobs)) await rm(join(blobs, shard), { recursive: true, force: true });
    dropAllSmallCopies(join(dir, 'data'));
    await workers.get('node3')?.kill();
    await waitFor(
      async () => (await nodes()).find((n) => n.id === 'node3')?.state === 'down',
      20_000,
      'node3 down',
    );
    await waitFor(allHealed, 90_000, 'every file healed from other nodes');
    for (const [i, status] of (await statuses()).entries())
      await copiesMatch(status, files[i]?.bytes ?? Buffer.alloc(0));
    // Meanwhile the main copies are rebuilt from the nodes.
    expect((await runClient(['fsck', '--repair', '--json', '--server', base])).code).toBe(0);
    for (const file of files.slice(0, 5))
      expect(sha256((await download(`${base}/files/${file.id}`)).bytes)).toBe(sha256(file.bytes));
  });

  it('drains a node with progress, refusing its removal until it is drained', async () => {
    const drained = await fetch(`${base}/nodes/node4/drain`, { method: 'POST' });
    expect(drained.status).toBe(202);
    const view = NodeView.parse(await drained.json());
    expect(view.drain?.total).toBeGreaterThan(0);
    expect((await fetch(`${base}/nodes/node4`, { method: 'DELETE' })).status).toBe(409);
    const seen: number[] = [];
    await waitFor(
      async () => {
        const node4 = (await nodes()).find((n) => n.id === 'node4');
        if (node4?.drain) seen.push(node4.drain.remaining);
        return node4?.state === 'drained';
      },
      90_000,
      'node4 drained',
    );
    expect(seen.some((remaining) => remaining < (view.drain?.total ?? 0))).toBe(true);
    await waitFor(allHealed, 30_000, 'every file at its target without node4');
    for (const status of await statuses()) expect(status.nodes.some((n) => n.node === 'node4')).toBe(false);
    expect((await fetch(`${base}/nodes/node4`, { method: 'DELETE' })).status).toBe(204);
    expect((await nodes()).some((n) => n.id === 'node4')).toBe(false);
  });

  it('anti-entropy: a replica removed by hand comes back, a copy nobody wants goes', async () => {
    // A copy stored a moment before the node lists its store may not be in the listing yet, and
    // is left alone; this one has been there for a while.
    const settled = (n: Status['nodes'][number]) =>
      n.node === 'node1' && n.state === 'stored' && Date.parse(n.storedAt ?? '') < Date.now() - 2_000;
    const status = (await statuses()).find((s) => s.nodes.some(settled));
    if (!status) throw new Error('no file on node1');
    await takeCopyOut(join(dir, 'nodes', 'node1'), status.id);
    // A stray: node5's copy of a file deleted meanwhile, put back behind everyone's back.
    const { body } = await uploadPut(base, 'stray.bin', randomBytes(2_000), '?wait=3');
    const stray = StatusBody.parse(body);
    const node5 = join(dir, 'nodes', 'node5');
    const node5Url = await nodeUrl('node5');
    const saved = await takeCopyOut(node5, stray.id);
    expect((await fetch(`${base}/files/${stray.id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(
      async () => {
        const history = (await fetch(`${base}/files/${stray.id}/history`).then((r) => r.json())) as {
          events: { type: string; node?: string }[];
        };
        return history.events.some((event) => event.type === 'replica.deleted' && event.node === 'node5');
      },
      20_000,
      'deleted on node5',
    );
    await saved.restore();
    expect((await fetch(`${node5Url}/files/${stray.id}`)).status).toBe(200);

    for (const node of ['node1', 'node5']) {
      expect((await fetch(`${await nodeUrl(node)}/admin/inventory`, { method: 'POST' })).status).toBe(200);
    }
    await waitFor(
      async () => (await fetch(`${await nodeUrl('node1')}/files/${status.id}`)).status === 200,
      30_000,
      'the removed replica back on node1',
    );
    await waitFor(
      async () => (await fetch(`${await nodeUrl('node5')}/files/${stray.id}`)).status === 404,
      30_000,
      'the stray copy gone from node5',
    );
    await waitFor(
      async () => (await getStatus(base, status.id)).replicas === status.target,
      20_000,
      'the restored replica counted',
    );
  });

  it('places a file wanting more replicas than there are nodes on what exists, and the rest when a node joins', async () => {
    const up = (await nodes()).filter((n) => n.state === 'up').length;
    const bytes = randomBytes(3_000);
    const { body } = await uploadPut(base, 'wide.bin', bytes, `?replicas=${up + 1}&wait=${up}`);
    const wide = StatusBody.parse(body);
    expect(wide).toMatchObject({ target: up + 1, replicas: up });
    await startNode('node6');
    await waitFor(
      async () => (await getStatus(base, wide.id)).replicas === up + 1,
      30_000,
      'placed on node6',
    );
    expect(
      (await getStatus(base, wide.id)).nodes.some((n) => n.node === 'node6' && n.state === 'stored'),
    ).toBe(true);
  });
});
