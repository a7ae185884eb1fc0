/**
 * `npm run chaos [-- --seconds N]`: uploads continuously while killing and restarting random
 * workers, the ingest service and the broker (a private RabbitMQ node), then waits for the
 * system to converge and counts what was lost. Not part of `npm test`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { download, getStatus, StatusBody, sha256 } from '../test/support/http.ts';
import { freePort, startPrivateRabbit } from '../test/support/private-rabbit.ts';
import { repoRoot, type ServiceProcess, startService } from '../test/support/processes.ts';
import { sleep } from '../test/support/wait-for.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '4' },
    'converge-timeout': { type: 'string', default: '180' },
  },
});
const durationMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);
const convergeTimeoutMs = Number(values['converge-timeout']) * 1000;

const NODES = ['node1', 'node2', 'node3'] as const;
const WORKERS_PER_NODE = 2;

interface Accepted {
  id: string;
  sha256: string;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-chaos-'));
  const rabbit = await startPrivateRabbit();
  const ingestPort = await freePort();
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const common = {
    AMQP_URL: rabbit.url,
    DFR_HOST: '127.0.0.1',
    DFR_HEARTBEAT_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  };
  let ingest: ServiceProcess | undefined;
  const workers: { node: string; process: ServiceProcess | undefined }[] = [];
  const startIngest = async () => {
    ingest = await startService('ingest', 'ingest', [], {
      ...common,
      LOG_LEVEL: 'info',
      DFR_PORT: String(ingestPort),
      DFR_DATA_DIR: join(dir, 'data'),
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
  };
  const accepted: Accepted[] = [];
  let refused = 0;
  const started = Date.now();
  try {
    await startIngest();
    for (const node of NODES) {
      for (let i = 0; i < WORKERS_PER_NODE; i++) workers.push({ node, process: await startWorker(node) });
    }
    const deadline = Date.now() + durationMs;
    const uploader = async () => {
      while (Date.now() < deadline) {
        const bytes = randomBytes(randomInt(0, 256 * 1024));
        try {
          const response = await fetch(`${ingestUrl}/files/chaos.bin`, {
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
    const chaos = async () => {
      while (Date.now() < deadline) {
        await sleep(randomInt(2000, 5000));
        if (Date.now() >= deadline) break;
        const pick = randomInt(0, 10);
        if (pick < 5) {
          const victim = workers[randomInt(0, workers.length)];
          if (!victim) continue;
          faults['kill -9 worker'] = (faults['kill -9 worker'] ?? 0) + 1;
          await victim.process?.kill();
          await sleep(randomInt(0, 2000));
          victim.process = await startWorker(victim.node);
        } else if (pick < 7) {
          faults['kill -9 ingest'] = (faults['kill -9 ingest'] ?? 0) + 1;
          await ingest?.kill();
          await sleep(randomInt(0, 1500));
          await startIngest();
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
    await Promise.all([chaos(), ...Array.from({ length: concurrency }, uploader)]);
    const chaosEnded = Date.now();

    // Convergence: every accepted file at UPLOAD_OK 3 with identical bytes on every node.
    const pending = new Set(accepted.map((a) => a.id));
    const convergeDeadline = Date.now() + convergeTimeoutMs;
    while (pending.size > 0 && Date.now() < convergeDeadline) {
      for (const id of [...pending]) {
        const status = await getStatus(ingestUrl, id).catch(() => undefined);
        if (status?.status === 'UPLOAD_OK 3') pending.delete(id);
      }
      if (pending.size > 0) await sleep(1000);
    }
    const convergedMs = Date.now() - chaosEnded;
    const nodeUrls = await nodeUrlsOf(ingestUrl);
    let damaged = 0;
    for (const file of accepted) {
      if (pending.has(file.id)) continue;
      for (const source of [ingestUrl, ...nodeUrls]) {
        const got = await download(`${source}/files/${file.id}`).catch(() => undefined);
        if (got?.status !== 200 || sha256(got.bytes) !== file.sha256) damaged += 1;
      }
    }
    const result = {
      date: new Date().toISOString(),
      command: `npm run chaos -- --seconds ${values.seconds}`,
      seconds: durationMs / 1000,
      workersPerNode: WORKERS_PER_NODE,
      uploadConcurrency: concurrency,
      faults,
      filesAccepted: accepted.length,
      uploadsRefusedOrFailed: refused,
      filesAtUploadOk3: accepted.length - pending.size,
      filesLost: pending.size,
      copiesNotIdentical: damaged,
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
    await Promise.all([ingest, ...workers.map((w) => w.process)].map((p) => p?.stop()));
    await rabbit.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

async function nodeUrlsOf(ingestUrl: string): Promise<string[]> {
  const nodes = (await (await fetch(`${ingestUrl}/nodes`)).json()) as { url: string | null }[];
  return nodes.flatMap((n) => (n.url ? [n.url] : []));
}

await main();
