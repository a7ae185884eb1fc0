import { z } from 'zod';
import { env } from '../../../shared/src/config.ts';

const GiB = 1024 ** 3;

/** The ingest service's environment (API.md, "Configuration"). */
export const IngestEnv = z.object({
  AMQP_URL: env.amqpUrl(),
  DFR_AMQP_PREFIX: env.string('dfr'),
  DFR_HOST: env.string('0.0.0.0'),
  DFR_PORT: env.port(9000),
  DFR_DATA_DIR: env.string('./data'),
  DFR_NODES: env.nodeList('node1,node2,node3'),
  DFR_PUBLIC_URL: env.url(),
  DFR_MAX_UPLOAD_BYTES: env.positiveInt(10 * GiB),
  DFR_API_TOKEN: env.optionalString(),
  DFR_CLUSTER_TOKEN: env.optionalString(),
  DFR_DELIVERY_LIMIT: env.positiveInt(10),
  DFR_REPUBLISH_AFTER_MS: env.positiveInt(30_000),
  DFR_RECONCILE_INTERVAL_MS: env.positiveInt(5_000),
  DFR_IDLE_TIMEOUT_MS: env.positiveInt(120_000),
});
export type IngestEnv = z.infer<typeof IngestEnv>;

/** Everything the ingest service needs, with units in the names. */
export interface IngestConfig {
  host: string;
  port: number;
  dataDir: string;
  nodes: string[];
  /** How workers reach this service; derived from the bound port when unset. */
  publicUrl: string | undefined;
  maxUploadBytes: number;
  apiToken: string | undefined;
  clusterToken: string | undefined;
  amqpPrefix: string;
  deliveryLimit: number;
  /** A pending replica whose command was published this long ago gets it again (the outbox). */
  republishAfterMs: number;
  reconcileIntervalMs: number;
  /** A connection silent this long is closed (slow-client guard); uploads themselves have no deadline. */
  idleTimeoutMs: number;
}

export function ingestConfig(e: IngestEnv): IngestConfig {
  return {
    host: e.DFR_HOST,
    port: e.DFR_PORT,
    dataDir: e.DFR_DATA_DIR,
    nodes: e.DFR_NODES,
    publicUrl: e.DFR_PUBLIC_URL,
    maxUploadBytes: e.DFR_MAX_UPLOAD_BYTES,
    apiToken: e.DFR_API_TOKEN,
    clusterToken: e.DFR_CLUSTER_TOKEN,
    amqpPrefix: e.DFR_AMQP_PREFIX,
    deliveryLimit: e.DFR_DELIVERY_LIMIT,
    republishAfterMs: e.DFR_REPUBLISH_AFTER_MS,
    reconcileIntervalMs: e.DFR_RECONCILE_INTERVAL_MS,
    idleTimeoutMs: e.DFR_IDLE_TIMEOUT_MS,
  };
}
