/**
 * `npx tsx bench/copy-cost.ts [--mib 1024] [--dir /tmp]`: what one large copy costs in CPU
 * outside the cluster, to compare with a worker's copy inside it (the large scenario's CPU
 * table). Each variant runs in a process of its own with the services' Node flags, and reports
 * the user and system CPU of the copy alone (start-up excluded):
 *
 *   file     read the source in 1 MiB chunks, SHA-256, write, fdatasync: the least a copy costs
 *   atomic   the same bytes through writeAtomically (a read stream as the source)
 *   pull     a worker's path: getStream from a server process (pumpFile, as ingest serves
 *            /internal/blobs) into writeAtomically; once alone, then three pulls at once
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { writeAtomically } from '../shared/src/fs/atomic-write.ts';
import { pumpFile } from '../shared/src/fs/pump-file.ts';
import { getStream } from '../shared/src/http/get-stream.ts';
import { SERVICE_NODE_FLAGS } from '../test/support/processes.ts';
import { syncDisks } from './lib/large-baseline.ts';
import { MiB } from './lib/results.ts';
import { writeRandomFile } from './lib/source-file.ts';

interface Cost {
  variant: string;
  seconds: number;
  user: number;
  system: number;
}

const run = promisify(execFile);
const self = fileURLToPath(import.meta.url);
const [role, ...rest] = process.argv.slice(2);

/** Runs `copy` and reports its wall time and this process's CPU over it, as JSON on stdout. */
async function measured(variant: string, copy: () => Promise<void>): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await copy();
  const used = process.cpuUsage(cpu);
  const cost: Cost = {
    variant,
    seconds: (performance.now() - started) / 1000,
    user: used.user / 1e6,
    system: used.system / 1e6,
  };
  process.stdout.write(JSON.stringify(cost));
}

async function fileCopy(source: string, target: string): Promise<void> {
  const input = await open(source, 'r');
  const output = await open(target, 'wx');
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafeSlow(MiB);
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, MiB, null);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    await output.write(buffer, 0, bytesRead);
  }
  await output.datasync();
  await Promise.all([input.close(), output.close()]);
  hash.digest('hex');
}

/** The child's side: one copy of one kind, or the server that pulls read from. */
async function child(kind: string, args: string[]): Promise<void> {
  const [source = '', target = ''] = args;
  const tmpDir = join(target, '..');
  if (kind === 'file') await measured('file', () => fileCopy(source, target));
  else if (kind === 'atomic')
    await measured('atomic', async () => {
      await writeAtomically(createReadStream(source, { highWaterMark: MiB }), target, { tmpDir });
    });
  else if (kind === 'pull')
    await measured('pull', async () => {
      await writeAtomically(await getStream(source), target, { tmpDir });
    });
  else if (kind === 'serve') {
    const server = createServer((_req, res) => {
      res.setHeader('content-length', String(Number(target)));
      pumpFile(source, { start: 0, end: Number(target) - 1 }, res).then(
        () => res.end(),
        () => res.destroy(),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const cpu = process.cpuUsage();
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
    // The parent closes stdin when the pulls are done; the server then reports what it used.
    process.stdin.resume();
    await once(process.stdin, 'end');
    const used = process.cpuUsage(cpu);
    process.stderr.write(
      JSON.stringify({ variant: 'serve', seconds: 0, user: used.user / 1e6, system: used.system / 1e6 }),
    );
    server.close();
    server.closeAllConnections();
  }
}

function spawnChild(kind: string, ...args: string[]): Promise<Cost> {
  return run(process.execPath, [...SERVICE_NODE_FLAGS.worker, '--import', 'tsx', self, kind, ...args]).then(
    ({ stdout }) => JSON.parse(stdout) as Cost,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mib: { type: 'string', default: '1024' }, dir: { type: 'string', default: tmpdir() } },
  });
  const size = Number(values.mib) * MiB;
  const dir = await mkdtemp(join(values.dir ?? tmpdir(), 'dfr-copy-cost-'));
  const costs: Cost[] = [];
  try {
    const source = join(dir, 'source.bin');
    await writeRandomFile(source, size);
    for (const kind of ['file', 'atomic']) {
      await syncDisks();
      costs.push(await spawnChild(kind, source, join(dir, `${kind}.copy`)));
    }
    for (const pulls of [1, 3]) {
      await syncDisks();
      const server = spawn(process.execPath, [
        ...SERVICE_NODE_FLAGS.worker,
        '--import',
        'tsx',
        self,
        'serve',
        source,
        String(size),
      ]);
      const [port] = (await once(server.stdout, 'data')) as [Buffer];
      const url = `http://127.0.0.1:${port.toString().trim()}/`;
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: pulls }, (_, i) =>
          spawnChild('pull', url, join(dir, `pull-${pulls}-${i}.copy`)),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      let stderr = '';
      server.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      server.stdin.end();
      await once(server, 'exit');
      costs.push(...results.map((r) => ({ ...r, variant: `pull (${pulls} at once)` })));
      costs.push({ ...(JSON.parse(stderr) as Cost), variant: `serve (${pulls} pulls)`, seconds });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.table(
    costs.map((c) => ({
      variant: c.variant,
      's wall': c.seconds.toFixed(2),
      'CPU user s': c.user.toFixed(2),
      'CPU sys s': c.system.toFixed(2),
    })),
  );
}

if (role && !role.startsWith('--')) await child(role, rest);
else await main();
