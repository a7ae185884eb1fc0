import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { topologyNames } from '../../shared/src/broker/topology.ts';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { StatusBody, uploadPut, waitForReplicas } from '../support/http.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';
import { publishRaw } from '../support/queues.ts';
import { waitFor } from '../support/wait-for.ts';

const amqpUrl = resolveAmqpUrl();
const NODES = ['node1', 'node2', 'node3'];

/** The value of one series of a Prometheus text page, e.g. `dfr_replicas{state="stored"}`. */
function value(page: string, series: string): number | undefined {
  for (const line of page.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const name = line.slice(0, at);
    // Services add their own labels (service, node) first; match the series' own ones.
    const [metric, labels = ''] = series.split('{');
    if (!name.startsWith(metric ?? '')) continue;
    if (name.slice((metric ?? '').length, (metric ?? '').length + 1).match(/[a-z_]/)) continue;
    const wanted = labels.replace(/}$/, '').split(',').filter(Boolean);
    if (wanted.every((label) => name.includes(label))) return Number(line.slice(at + 1));
  }
  return undefined;
}

/**
 * /metrics of ingest and of the workers after known uploads and a known failure, as separate
 * processes on RabbitMQ: each named series has the value the uploads imply.
 */
describeWithRabbit('metrics', amqpUrl, (url) => {
  const prefix = uniquePrefix();
  const names = topologyNames(prefix);
  let dir = '';
  let base = '';
  const processes: ServiceProcess[] = [];
  const workerUrls = new Map<string, string>();
  const scrape = async (at: string) => (await fetch(`${at}/metrics`)).text();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-metrics-'));
    const common = {
      AMQP_URL: url,
      DFR_AMQP_PREFIX: prefix,
      DFR_HOST: '127.0.0.1',
      DFR_HEARTBEAT_INTERVAL_MS: '500',
    };
    const ingest = await startService('ingest', 'ingest', [], {
      ...common,
      DFR_PORT: '0',
      DFR_DATA_DIR: join(dir, 'data'),
    });
    processes.push(ingest);
    base = `http://127.0.0.1:${ingest.port()}`;
    for (const node of NODES) {
      const worker = await startService(
        'worker',
        node,
        ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)],
        common,
      );
      processes.push(worker);
      workerUrls.set(node, `http://127.0.0.1:${worker.port()}`);
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteTopology(url, prefix, NODES);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts files, replicas, replication times, nodes and queues as the uploads imply', async () => {
    const sizes = [10, 2_000, 200_000];
    const ids: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const { body } = await uploadPut(base, `m${i}.bin`, randomBytes(size));
      ids.push(StatusBody.parse(body).id);
    }
    for (const id of ids) await waitForReplicas(base, id);
    await waitFor(
      async () => value(await scrape(base), 'dfr_nodes{state="up"}') === 3,
      20_000,
      'three nodes up',
    );
    const page = await scrape(base);
    expect(value(page, 'dfr_files')).toBe(3);
    expect(value(page, 'dfr_replicas{state="stored"}')).toBe(9);
    expect(value(page, 'dfr_replicas{state="pending"}')).toBe(0);
    expect(value(page, 'dfr_under_replicated_files')).toBe(0);
    expect(value(page, 'dfr_oldest_pending_replica_seconds')).toBe(0);
    expect(value(page, 'dfr_outbox_due')).toBe(0);
    expect(value(page, 'dfr_replication_seconds_count{kind="replica"}')).toBe(9);
    expect(value(page, 'dfr_replication_seconds_count{kind="target"}')).toBe(3);
    expect(value(page, 'dfr_queue_consumers{node="node1"}')).toBe(1);
    expect(value(page, 'dfr_queue_messages{node="node2"}')).toBe(0);
    expect(value(page, 'dfr_dead_letter_messages')).toBe(0);

    let copies = 0;
    let bytes = 0;
    for (const at of workerUrls.values()) {
      const worker = await scrape(at);
      copies += value(worker, 'dfr_worker_copies_total') ?? 0;
      bytes += value(worker, 'dfr_worker_bytes_copied_total') ?? 0;
    }
    expect(copies).toBe(9);
    expect(bytes).toBe(3 * sizes.reduce((a, b) => a + b, 0));
  });

  it('counts a failed copy by its reason, and what a scrub checked', async () => {
    const { body } = await uploadPut(base, 'target.bin', randomBytes(100_000), '?wait=3');
    const file = StatusBody.parse(body);
    // A command whose SHA-256 the bytes can never match.
    const command = {
      type: 'ReplicateFile',
      version: 1,
      fileId: file.id,
      node: 'node1',
      size: file.size,
      sha256: 'f'.repeat(64),
      sourceUrl: `${base}/internal/blobs/${file.id}`,
    };
    await publishRaw(url, names.replicateExchange, 'node1', Buffer.from(JSON.stringify(command)));
    const node1 = workerUrls.get('node1') ?? '';
    await waitFor(
      async () =>
        (value(await scrape(node1), 'dfr_worker_copy_failures_total{reason="integrity"}') ?? 0) >= 1,
      20_000,
      'the integrity failure counted',
    );
    const scrub = (await (await fetch(`${node1}/admin/scrub`, { method: 'POST' })).json()) as {
      checked: number;
    };
    const page = await scrape(node1);
    expect(value(page, 'dfr_scrub_checked_total')).toBe(scrub.checked);
    expect(scrub.checked).toBeGreaterThanOrEqual(4);
    expect(value(page, 'dfr_scrub_removed_total')).toBe(0);
  });
});
