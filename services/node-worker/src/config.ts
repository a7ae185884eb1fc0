import { z } from 'zod';
import { ConfigError, env } from '../../../shared/src/config.ts';
import { Zone } from '../../../shared/src/messages/node-heartbeat.ts';
import { smallFileMaxBytes } from '../../../shared/src/messages/replicate-files.ts';

/** A node worker's environment (API.md); `--node`, `--port`, `--dir` override the variables. */
export const WorkerEnv = z.object({
  AMQP_URL: env.amqpUrl(),
  DFR_AMQP_PREFIX: env.string('dfr'),
  DFR_NODE_ID: env.nodeId(),
  DFR_NODE_DIR: env.optionalString(),
  DFR_HOST: env.string('0.0.0.0'),
  DFR_NODE_PORT: env.port(0),
  DFR_PUBLIC_URL: env.url(),
  DFR_CLUSTER_TOKEN: env.token(),
  DFR_API_TOKEN: env.token(),
  DFR_PROTECT_DOWNLOADS: env.flag(false),
  DFR_PREFETCH: env.positiveInt(4),
  DFR_DELIVERY_LIMIT: env.positiveInt(10),
  DFR_HEARTBEAT_INTERVAL_MS: env.positiveInt(5_000),
  DFR_SCRUB_INTERVAL_MS: env.nonNegativeInt(86_400_000),
  DFR_INVENTORY_INTERVAL_MS: env.nonNegativeInt(3_600_000),
  DFR_NODE_ZONE: z.preprocess((value) => (value === '' ? undefined : value), Zone.optional()),
  DFR_IDLE_TIMEOUT_MS: env.positiveInt(120_000),
  DFR_INLINE_MAX_BYTES: smallFileMaxBytes(),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

export interface WorkerConfig {
  nodeId: string;
  /** The node's store, shared by every worker process of the node. */
  dir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  publicUrl: string | undefined;
  /** Sent to ingest's internal endpoints; with protectDownloads it also opens this node's downloads. */
  clusterToken: string | undefined;
  /** With protectDownloads, the token users present to download from this node. */
  apiToken?: string | undefined;
  /** Downloads need the API or the cluster token. Default false. */
  protectDownloads?: boolean;
  amqpPrefix: string;
  /** Copies one worker runs at once. */
  prefetch: number;
  /** Must equal ingest's: both declare the node queue, and RabbitMQ refuses differing arguments. */
  deliveryLimit: number;
  heartbeatIntervalMs: number;
  /** Re-hash the whole store this often; 0 = only on demand. */
  scrubIntervalMs: number;
  /** Send the store's inventory to ingest this often (and at start); 0 = at start and on demand only. */
  inventoryIntervalMs?: number;
  /** The node's failure domain (DFR_NODE_ZONE): replicas of one file spread over zones. */
  zone?: string | undefined;
  idleTimeoutMs: number;
  /** Copies up to this size are rows of the store's small-file table (DFR_INLINE_MAX_BYTES). */
  smallMaxBytes?: number;
}

export function workerConfig(e: WorkerEnv): WorkerConfig {
  if (e.DFR_PROTECT_DOWNLOADS && !e.DFR_API_TOKEN && !e.DFR_CLUSTER_TOKEN) {
    throw new ConfigError(['DFR_PROTECT_DOWNLOADS: needs DFR_API_TOKEN or DFR_CLUSTER_TOKEN']);
  }
  return {
    nodeId: e.DFR_NODE_ID,
    dir: e.DFR_NODE_DIR ?? `./nodes/${e.DFR_NODE_ID}`,
    host: e.DFR_HOST,
    port: e.DFR_NODE_PORT,
    publicUrl: e.DFR_PUBLIC_URL,
    clusterToken: e.DFR_CLUSTER_TOKEN,
    apiToken: e.DFR_API_TOKEN,
    protectDownloads: e.DFR_PROTECT_DOWNLOADS,
    amqpPrefix: e.DFR_AMQP_PREFIX,
    prefetch: e.DFR_PREFETCH,
    deliveryLimit: e.DFR_DELIVERY_LIMIT,
    heartbeatIntervalMs: e.DFR_HEARTBEAT_INTERVAL_MS,
    scrubIntervalMs: e.DFR_SCRUB_INTERVAL_MS,
    inventoryIntervalMs: e.DFR_INVENTORY_INTERVAL_MS,
    zone: e.DFR_NODE_ZONE,
    idleTimeoutMs: e.DFR_IDLE_TIMEOUT_MS,
    smallMaxBytes: e.DFR_INLINE_MAX_BYTES,
  };
}
