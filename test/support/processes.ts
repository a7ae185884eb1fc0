import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const bundles = {
  ingest: 'dist/ingest.mjs',
  worker: 'dist/worker.mjs',
  'all-in-one': 'dist/all-in-one.mjs',
  client: 'dist/client.mjs',
} as const;

/**
 * Node flags of each service, as in package.json's scripts. All: a young generation of at most
 * 3 x 4 MiB (Node 20 lets it grow to 3 x 16 MiB), which kept ingest under 128 MiB at 32 uploads in
 * flight. Ingest (and the all-in-one process, which holds it) also caps the old generation's
 * growth at 1.5x what survived the last full collection, which kept its peak RSS under 128 MiB in
 * the small-file run. Workers do not take that cap: on their ~12 MB heap it keeps V8 starting a
 * full mark-compact after nearly every scavenge while a large copy streams through, 75-116 of
 * them per GiB, about doubling the copy's user CPU (docs/BENCHMARKS.md, fifth round).
 */
export const SERVICE_NODE_FLAGS: Record<Exclude<ServiceKind, 'client'>, string[]> = {
  ingest: ['--max-semi-space-size=4', '--heap-growing-percent=50'],
  worker: ['--max-semi-space-size=4'],
  'all-in-one': ['--max-semi-space-size=4', '--heap-growing-percent=50'],
};

let built = false;

/**
 * The path of a service's bundle, built first (once per test process): tests and the benchmark
 * run exactly what `npm start`, `npm run ingest` and `npm run worker` run (scripts/build.mjs).
 */
function bundle(kind: keyof typeof bundles): string {
  if (!built) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build.mjs')], { stdio: 'inherit' });
    built = true;
  }
  return join(repoRoot, bundles[kind]);
}

export type ServiceKind = keyof typeof bundles;

/** A service running as a real child process, its output kept for assertions and failure reports. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** The port from its "listening on host:port" line. */
  port(): number;
  /** SIGTERM, then SIGKILL if it has not exited within graceMs; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  kill(): Promise<void>;
}

/** Environment without the variables a developer's shell may have set for the service. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DFR_|AMQP_)/.test(key)));
  return { ...base, LOG_LEVEL: 'info', ...extra };
}

const LISTENING = /listening on [^\s:"]+:(\d+)/;

/**
 * `npm start`'s all-in-one process with its stores under `dir` and every port picked free (the
 * S3 port too: its default, 9080, would collide between tests), plus `env`.
 */
export function startAllInOne(dir: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService('all-in-one', 'all-in-one', [], {
    DFR_PORT: '0',
    DFR_NODE_PORT: '0',
    DFR_S3_PORT: '0',
    DFR_HOST: '127.0.0.1',
    DFR_DATA_DIR: join(dir, 'data'),
    DFR_NODES_DIR: join(dir, 'nodes'),
    DFR_HEARTBEAT_INTERVAL_MS: '500',
    ...env,
  });
}

/** Spawns `node dist/<kind>.mjs` and waits until it printed its listening line. */
export async function startService(
  kind: Exclude<ServiceKind, 'client'>,
  name: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS[kind], bundle(kind), ...args], {
    cwd: repoRoot,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const service: ServiceProcess = {
    name,
    child,
    output: () => output,
    port: () => {
      const match =
        kind === 'all-in-one' ? /Server listening on [^\s:"]+:(\d+)/.exec(output) : LISTENING.exec(output);
      if (!match?.[1]) throw new Error(`${name} has not printed its port`);
      return Number(match[1]);
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  const ready = kind === 'all-in-one' ? /Server listening on/ : LISTENING;
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
        return ready.test(output);
      },
      timeoutMs,
      `${name} to listen`,
    );
  } catch (err) {
    await service.kill();
    throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${output.slice(-4000)}`);
  }
  return service;
}

/** Runs the `dfr` CLI to completion. */
export async function runClient(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bundle('client'), ...args], {
    cwd: repoRoot,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}
