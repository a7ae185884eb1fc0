import { join } from 'node:path';
import { type Cluster, type ClusterOptions, clusterPrefix, startCluster } from './cluster.ts';

/** What every scenario gets from run.ts. */
export interface BenchContext {
  /** Hex id of this run; every RabbitMQ name it declares starts with `bench-<runId>-`. */
  runId: string;
  /** Scratch folder on the disk under test; removed at the end. */
  workDir: string;
  amqpUrl: string;
  /** Set with `--cpu-prof`: each service process writes a CPU profile under it. */
  cpuProfDir: string | undefined;
  log(message: string): void;
}

/** Starts a cluster in `<workDir>/<name>` with a fresh RabbitMQ prefix. */
export function clusterFor(
  ctx: BenchContext,
  name: string,
  workersPerNode: number,
  instances: Pick<ClusterOptions, 'ingests' | 'databaseUrl'> = {},
): Promise<Cluster> {
  return startCluster({
    ...instances,
    dir: join(ctx.workDir, name),
    amqpUrl: ctx.amqpUrl,
    prefix: clusterPrefix(ctx.runId),
    workersPerNode,
    cpuProfDir: ctx.cpuProfDir ? join(ctx.cpuProfDir, name) : undefined,
  });
}
