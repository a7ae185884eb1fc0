import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ServiceProcess, startService } from '../../test/support/processes.ts';
import { deleteBenchTopology } from './amqp-cleanup.ts';
import { localBrokerPid } from './broker-process.ts';
import { cpuProfEnv } from './cpu-prof-preload.ts';
import { cpuMeter, machineCpuMeter, ownCpuMeter } from './cpu-time.ts';
import { PeakRss } from './rss.ts';

export const NODES = ['node1', 'node2', 'node3'] as const;

/** What one process used during a measured phase. */
export interface ProcessUsage {
  peakRssBytes: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
}

export interface PhaseUsage {
  processes: Record<string, ProcessUsage>;
  /** This process: the HTTP clients and the event tap. */
  client: { user: number; system: number };
  /** The local RabbitMQ the cluster uses (it may serve others too). */
  broker?: { user: number; system: number };
  /** All cores, everything running on the machine. */
  machineCpuBusyPercent: number;
}

export interface ClusterOptions {
  /** Folder of this cluster's stores: `data/` for ingest, `nodes/<id>/` per node. */
  dir: string;
  amqpUrl: string;
  /** DFR_AMQP_PREFIX of this cluster; starts with `bench-`. */
  prefix: string;
  /** Worker processes per node; 0 starts ingest alone. */
  workersPerNode: number;
  /** When set, every process writes a V8 CPU profile under `<cpuProfDir>/<process name>/` on exit. */
  cpuProfDir?: string | undefined;
  /** Ingest instances (default 1), each with its own data directory and port. */
  ingests?: number;
  /** DFR_DATABASE_URL of every instance: PostgreSQL; unset: SQLite (one instance only). */
  databaseUrl?: string | undefined;
}

export interface Cluster {
  /** The first ingest instance's URL. */
  url: string;
  /** Every ingest instance's URL. */
  urls: string[];
  /** Its DFR_AMQP_PREFIX. */
  prefix: string;
  /** The first ingest instance (`ingest`); the others are `ingest-2`, ... */
  ingest: ServiceProcess;
  ingests: ServiceProcess[];
  workers: ServiceProcess[];
  /** From spawning the ingest instances to the last one's "Server listening" line, measured here. */
  ingestStartupMs: number;
  /**
   * Starts a measured phase; the returned function ends it and gives, per process name, the
   * peak RSS and the CPU seconds used in the phase, with the benchmark client's CPU and how busy
   * the whole machine was.
   */
  measure(): () => PhaseUsage;
  /** Stops every process (SIGTERM) and deletes this cluster's queues and exchanges. */
  stop(): Promise<void>;
}

/** A fresh DFR_AMQP_PREFIX: `bench-<run>-<n>`, so clusters of one run share nothing in RabbitMQ. */
export function clusterPrefix(runId: string): string {
  return `bench-${runId}-${randomBytes(3).toString('hex')}`;
}

/** Starts the ingest instances, then the workers of node1..node3 in parallel, each a separate process. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const common = { AMQP_URL: options.amqpUrl, DFR_AMQP_PREFIX: options.prefix, DFR_HOST: '127.0.0.1' };
  const profiled = async (name: string): Promise<Record<string, string>> =>
    options.cpuProfDir ? cpuProfEnv(options.cpuProfDir, join(options.cpuProfDir, name)) : {};
  const startIngest = async (index: number) => {
    const name = index === 0 ? 'ingest' : `ingest-${index + 1}`;
    const dataDir = join(options.dir, index === 0 ? 'data' : `data-${index + 1}`);
    await mkdir(dataDir, { recursive: true });
    return startService('ingest', name, [], {
      ...common,
      ...(await profiled(name)),
      DFR_PORT: '0',
      DFR_DATA_DIR: dataDir,
      ...(options.databaseUrl ? { DFR_DATABASE_URL: options.databaseUrl } : {}),
    });
  };
  const spawnedAt = performance.now();
  // One after the other: the first applies the database's migrations.
  const ingests: ServiceProcess[] = [];
  for (let i = 0; i < (options.ingests ?? 1); i++) ingests.push(await startIngest(i));
  const ingestStartupMs = performance.now() - spawnedAt;
  const ingest = ingests[0] as ServiceProcess;
  const workers: ServiceProcess[] = [];
  const startWorker = async (node: string, name: string) => {
    const args = ['--node', node, '--port', '0', '--dir', join(options.dir, 'nodes', node)];
    workers.push(await startService('worker', name, args, { ...common, ...(await profiled(name)) }));
  };
  // allSettled, not all: a failed start must not leave the other workers starting unattended.
  const started = await Promise.allSettled(
    NODES.flatMap((node) =>
      Array.from({ length: options.workersPerNode }, (_, i) => startWorker(node, `${node}-w${i + 1}`)),
    ),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all([...ingests, ...workers].map((p) => p.stop()));
    await deleteBenchTopology(options.amqpUrl, options.prefix, NODES);
    throw failed.reason;
  }
  workers.sort((a, b) => a.name.localeCompare(b.name));
  const all = [...ingests, ...workers];
  return {
    url: `http://127.0.0.1:${ingest.port()}`,
    urls: ingests.map((p) => `http://127.0.0.1:${p.port()}`),
    prefix: options.prefix,
    ingest,
    ingests,
    workers,
    ingestStartupMs,
    measure() {
      const phases = all.map((p) => {
        const pid = p.child.pid as number;
        return { name: p.name, peak: new PeakRss(pid).start(), cpu: cpuMeter(pid) };
      });
      const client = ownCpuMeter();
      const brokerPid = localBrokerPid(options.amqpUrl);
      const broker = brokerPid === undefined ? undefined : cpuMeter(brokerPid);
      const machine = machineCpuMeter();
      return () => ({
        client: client(),
        ...(broker ? { broker: broker() } : {}),
        machineCpuBusyPercent: machine(),
        processes: Object.fromEntries(
          phases.map(({ name, peak, cpu }) => {
            const used = cpu();
            return [
              name,
              {
                peakRssBytes: peak.stop().peakBytes,
                cpuUserSeconds: used.user,
                cpuSystemSeconds: used.system,
              },
            ];
          }),
        ),
      });
    },
    async stop() {
      // Workers first, so none is left copying from a gone ingest; then ingest.
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(ingests.map((p) => p.stop()));
      await deleteBenchTopology(options.amqpUrl, options.prefix, NODES);
    },
  };
}
