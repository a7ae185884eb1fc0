/**
 * `npm run chaos [-- --seconds N] [--ingests N]`: uploads continuously while killing and
 * restarting random workers, ingest instances and the broker (a private RabbitMQ node), losing
 * one node for good a third of the way in and adding a new one two thirds in, then waits for
 * the system to converge (every accepted file at UPLOAD_OK 3 or more on the nodes left) and counts what
 * was lost. With `--ingests 2` (or more) the
 * instances share a PostgreSQL database of the run's own on POSTGRES_URL's server (default
 * postgres://postgres@127.0.0.1:5432/postgres, dropped at the end), uploads go round-robin over
 * them, and one more fault ends every database connection. Not part of `npm test`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { download, getStatus, StatusBody, sha256 } from '../test/support/http.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { freePort, startPrivateRabbit } from '../test/support/private-rabbit.ts';
import { repoRoot, type ServiceProcess, startService } from '../test/support/processes.ts';
import { sleep } from '../test/support/wait-for.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '4' },
    'converge-timeout': { type: 'string', default: '180' },
    ingests: { type: 'string', default: '1' },
  },
});
const ingestCount = Number(values.ingests);
if (!Number.isInteger(ingestCount) || ingestCount < 1)
  throw new Error('--ingests must be a positive integer');
const postgresAdminUrl = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const durationMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);
const convergeTimeoutMs = Number(values['converge-timeout']) * 1000;

/** The nodes at start, two workers each; one of them is lost for good, and NEW_NODE joins. */
const NODES = ['node1', 'node2', 'node3', 'node4'] as const;
const NEW_NODE = 'node5';
const WORKERS_PER_NODE = 2;
/** Short, so a node lost for good is healed around within the run. */
const NODE_DOWN_AFTER_MS = 5_000;

interface Accepted {
  id: string;
  sha256: string;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-chaos-'));
  const rabbit = await startPrivateRabbit();
  // One instance keeps SQLite in its data directory; several share a database of this run's own.
  const database: TestDatabase | undefined =
    ingestCount > 1 ? await createTestDatabase(postgresAdminUrl) : undefined;
  const ingests: { port: number; url: string; process: ServiceProcess | undefined }[] = [];
  for (let i = 0; i < ingestCount; i++) {
    const port = await freePort();
    ingests.push({ port, url: `http://127.0.0.1:${port}`, process: undefined });
  }
  const ingestUrl = ingests[0]?.url ?? '';
  const common = {
    AMQP_URL: rabbit.url,
    DFR_HOST: '127.0.0.1',
    DFR_HEARTBEAT_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  };
  const workers: { node: string; process: ServiceProcess | undefined }[] = [];
  const startIngest = async (index: number) => {
    const ingest = ingests[index];
    if (!ingest) return;
    ingest.process = await startService('ingest', `ingest-${index + 1}`, [], {
      ...common,
      LOG_LEVEL: 'info',
      DFR_PORT: String(ingest.port),
      DFR_PUBLIC_URL: ingest.url,
      DFR_DATA_DIR: join(dir, `data-${index + 1}`),
      ...(database ? { DFR_DATABASE_URL: database.url } : {}),
      DFR_NODES: NODES.join(','),
      DFR_NODE_SUSPECT_AFTER_MS: '3000',
      DFR_NODE_DOWN_AFTER_MS: String(NODE_DOWN_AFTER_MS),
      DFR_REPUBLISH_AFTER_MS: '5000',
      DFR_RECONCILE_INTERVAL_MS: '1000',
    });
  };
  const startWorker = (node: string) =>
    startService('worker', node, ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)], {
      ...common,
      LOG_LEVEL: 'info',
    });

  const faults: Record<string, number> = {
    'kill -9 worker': 0,
    'kill -9 ingest': 0,
    'broker stop_app/start_app': 0,
    'close all connections': 0,
    'lose a node for good': 0,
    'a new node joins': 0,
    ...(database ? { 'end all database connections': 0 } : {}),
  };
  const accepted: Accepted[] = [];
  let refused = 0;
  const started = Date.now();
  try {
    for (const index of ingests.keys()) await startIngest(index);
    for (const node of NODES) {
      for (let i = 0; i < WORKERS_PER_NODE; i++) workers.push({ node, process: await startWorker(node) });
    }
    const deadline = Date.now() + durationMs;
    let turn = 0;
    const uploader = async () => {
      while (Date.now() < deadline) {
        const bytes = randomBytes(randomInt(0, 256 * 1024));
        const target = ingests[turn++ % ingests.length]?.url ?? ingestUrl;
        try {
          const response = await fetch(`${target}/files/chaos.bin`, {
            method: 'PUT',
            body: new Uint8Array(bytes),
          });
          if (response.status === 201) {
            const body = StatusBody.parse(await response.json());
            accepted.push({ id: body.id, sha256: sha256(bytes) });
          } else {
            refused += 1;
          }
        } catch {
          refused += 1;
          await sleep(200);
        }
      }
    };
    let lost: string | undefined;
    /** Once: every worker of one node killed and never restarted; once: a new node's worker. */
    const membership = async () => {
      await sleep(durationMs / 3);
      lost = NODES[randomInt(0, NODES.length)];
      faults['lose a node for good'] = 1;
      await Promise.all(workers.filter((w) => w.node === lost).map((w) => w.process?.kill()));
      await sleep(durationMs / 3);
      faults['a new node joins'] = 1;
      workers.push({ node: NEW_NODE, process: await startWorker(NEW_NODE) });
    };
    const chaos = async () => {
      while (Date.now() < deadline) {
        await sleep(randomInt(2000, 5000));
        if (Date.now() >= deadline) break;
        const pick = randomInt(0, database ? 11 : 10);
        if (pick < 5) {
          const alive = workers.filter((w) => w.node !== lost);
          const victim = alive[randomInt(0, alive.length)];
          if (!victim) continue;
          faults['kill -9 worker'] = (faults['kill -9 worker'] ?? 0) + 1;
          await victim.process?.kill();
          await sleep(randomInt(0, 2000));
          victim.process = await startWorker(victim.node);
        } else if (pick < 7) {
          faults['kill -9 ingest'] = (faults['kill -9 ingest'] ?? 0) + 1;
          const index = randomInt(0, ingests.length);
          await ingests[index]?.process?.kill();
          await sleep(randomInt(0, 1500));
          await startIngest(index);
        } else if (pick === 10 && database) {
          faults['end all database connections'] = (faults['end all database connections'] ?? 0) + 1;
          await endDatabaseConnections(database);
        } else if (pick < 9) {
          faults['broker stop_app/start_app'] = (faults['broker stop_app/start_app'] ?? 0) + 1;
          await rabbit.stopApp();
          await sleep(randomInt(500, 3000));
          await rabbit.startApp();
        } else {
          faults['close all connections'] = (faults['close all connections'] ?? 0) + 1;
          await rabbit.closeAllConnections();
        }
      }
    };
    await Promise.all([chaos(), membership(), ...Array.from({ length: concurrency }, uploader)]);
    const chaosEnded = Date.now();

    // Convergence: every accepted file at UPLOAD_OK 3 (or more: a file healed twice over keeps
    // an extra copy, counted apart) with identical bytes on every node and from every ingest
    // instance; statuses asked of each instance in turn.
    const pending = new Set(accepted.map((a) => a.id));
    const overReplicated = new Set<string>();
    const convergeDeadline = Date.now() + convergeTimeoutMs;
    let asked = 0;
    while (pending.size > 0 && Date.now() < convergeDeadline) {
      for (const id of [...pending]) {
        const via = ingests[asked++ % ingests.length]?.url ?? ingestUrl;
        const status = await getStatus(via, id).catch(() => undefined);
        const copies = Number(/^UPLOAD_OK (\d+)$/.exec(status?.status ?? '')?.[1] ?? 0);
        if (copies >= 3) pending.delete(id);
        if (copies > 3) overReplicated.add(id);
      }
      if (pending.size > 0) await sleep(1000);
    }
    const convergedMs = Date.now() - chaosEnded;
    // What a file that did not converge looks like from every instance, and what the logs say of it.
    const unconvergedSamples: unknown[] = [];
    for (const id of [...pending].slice(0, 10)) {
      const statuses = await Promise.all(
        ingests.map((i) => getStatus(i.url, id).catch((err: Error) => err.message)),
      );
      const logLines = [...ingests, ...workers]
        .flatMap((p) => (p.process?.output() ?? '').split('\n'))
        .filter((line) => line.includes(id))
        .slice(-20);
      unconvergedSamples.push({ id, statuses, logLines });
    }
    // Every copy that counts (stored, on a node that is up) and every ingest serve the bytes.
    const nodeUrls = await nodeUrlsOf(ingestUrl);
    let damaged = 0;
    const damagedSamples: unknown[] = [];
    for (const file of accepted) {
      if (pending.has(file.id)) continue;
      const status = await getStatus(ingestUrl, file.id);
      const holders = status.nodes
        .filter((n) => n.state === 'stored' && !n.nodeDown)
        .flatMap((n) => {
          const url = nodeUrls.get(n.node);
          return url ? [url] : [];
        });
      for (const source of [...ingests.map((i) => i.url), ...holders]) {
        const got = await download(`${source}/files/${file.id}`).catch(() => undefined);
        if (got?.status !== 200 || sha256(got.bytes) !== file.sha256) {
          damaged += 1;
          if (damagedSamples.length < 20) {
            damagedSamples.push({ id: file.id, source, status: got?.status ?? 0, nodes: status.nodes });
          }
        }
      }
    }
    const result = {
      date: new Date().toISOString(),
      command: `npm run chaos -- --seconds ${values.seconds}${ingestCount > 1 ? ` --ingests ${ingestCount}` : ''}`,
      seconds: durationMs / 1000,
      ingests: ingestCount,
      metadata: database ? 'postgres' : 'sqlite',
      workersPerNode: WORKERS_PER_NODE,
      nodeLost: lost,
      nodeJoined: NEW_NODE,
      uploadConcurrency: concurrency,
      faults,
      filesAccepted: accepted.length,
      uploadsRefusedOrFailed: refused,
      filesAtUploadOk3: accepted.length - pending.size,
      filesLost: pending.size,
      filesOverReplicated: overReplicated.size,
      copiesNotIdentical: damaged,
      damagedSamples,
      unconvergedSamples,
      secondsToConverge: pending.size === 0 ? convergedMs / 1000 : null,
      totalSeconds: (Date.now() - started) / 1000,
    };
    console.table(
      Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v !== 'object' || v === null)),
    );
    console.table(faults);
    const resultsDir = join(repoRoot, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const path = join(resultsDir, `chaos-${result.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path}`);
    process.exitCode = result.filesLost === 0 && damaged === 0 ? 0 : 1;
  } finally {
    await Promise.all([...ingests, ...workers].map((p) => p.process?.stop()));
    await rabbit.destroy();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ends every session on the run's database: each instance's pool and listener must recover. */
async function endDatabaseConnections(database: TestDatabase): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database.name],
    );
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The download URL of each node that is not down. */
async function nodeUrlsOf(ingestUrl: string): Promise<Map<string, string>> {
  const nodes = (await (await fetch(`${ingestUrl}/nodes`)).json()) as {
    id: string;
    url: string | null;
    state: string;
  }[];
  return new Map(nodes.flatMap((n) => (n.url && n.state !== 'down' ? [[n.id, n.url] as const] : [])));
}

await main();
