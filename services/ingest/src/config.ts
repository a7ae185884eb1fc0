import { z } from 'zod';
import { ConfigError, env } from '../../../shared/src/config.ts';
import { DEFAULT_LINGER_BUDGET, type LingerBudget } from '../../../shared/src/http/lingering-close.ts';
import { smallFileMaxBytes } from '../../../shared/src/messages/replicate-files.ts';
import { MAX_REPLICAS } from './cluster/placer.ts';
import { type ALL_IN_ONE_S3, type S3Config, S3Env, s3Config } from './http/s3/s3-config.ts';

const GiB = 1024 ** 3;
/** An upload's body must arrive within an hour unless DFR_REQUEST_TIMEOUT_MS says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3_600_000;

/** The ingest service's environment (API.md, "Configuration"). */
export const IngestEnv = z.object({
  AMQP_URL: env.amqpUrl(),
  DFR_AMQP_PREFIX: env.string('dfr'),
  DFR_HOST: env.string('0.0.0.0'),
  DFR_PORT: env.port(9000),
  DFR_DATA_DIR: env.string('./data'),
  DFR_DATABASE_URL: env.postgresUrl(),
  DFR_NODES: env.nodeList('node1,node2,node3'),
  DFR_PUBLIC_URL: env.url(),
  DFR_MAX_UPLOAD_BYTES: env.positiveInt(10 * GiB),
  DFR_API_TOKEN: env.token(),
  DFR_CLUSTER_TOKEN: env.token(),
  DFR_PROTECT_DOWNLOADS: env.flag(false),
  DFR_DELIVERY_LIMIT: env.positiveInt(10),
  DFR_REPUBLISH_AFTER_MS: env.positiveInt(30_000),
  DFR_REPUBLISH_MAX_MS: env.positiveInt(600_000),
  DFR_INLINE_MAX_BYTES: smallFileMaxBytes(),
  DFR_RETRY_FAILED_AFTER_MS: env.positiveInt(300_000),
  DFR_RECONCILE_INTERVAL_MS: env.positiveInt(5_000),
  DFR_IDLE_TIMEOUT_MS: env.positiveInt(120_000),
  DFR_REQUEST_TIMEOUT_MS: env.positiveInt(DEFAULT_REQUEST_TIMEOUT_MS),
  DFR_REPLICAS: env.positiveInt(3, MAX_REPLICAS),
  DFR_NODE_SUSPECT_AFTER_MS: env.positiveInt(15_000),
  DFR_NODE_DOWN_AFTER_MS: env.positiveInt(600_000),
  DFR_SCRUB_INTERVAL_MS: env.nonNegativeInt(86_400_000),
  DFR_EVENTS_KEEP: env.positiveInt(100_000),
  DFR_EVENTS_MAX_QUEUED_BYTES: env.positiveInt(1024 * 1024),
  DFR_LINGER_TIME_MS: env.positiveInt(DEFAULT_LINGER_BUDGET.timeMs),
  DFR_LINGER_IDLE_MS: env.positiveInt(DEFAULT_LINGER_BUDGET.idleMs),
  DFR_LINGER_MAX_BYTES: env.positiveInt(DEFAULT_LINGER_BUDGET.maxBytes),
  ...S3Env,
  DFR_TUS_EXPIRE_AFTER_MS: env.positiveInt(86_400_000),
});
export type IngestEnv = z.infer<typeof IngestEnv>;

/** Everything the ingest service needs, with units in the names. */
export interface IngestConfig {
  host: string;
  port: number;
  dataDir: string;
  /** The nodes expected before their first heartbeat; others join by heartbeat. */
  /**
   * `postgres://...`: the metadata lives in PostgreSQL, shared by every instance given the same
   * URL; undefined: in SQLite inside `dataDir`, for this instance alone.
   */
  databaseUrl?: string | undefined;
  nodes: string[];
  /** Replicas per file unless an upload asks otherwise (R). */
  replicas: number;
  /** A node silent this long is suspect. */
  nodeSuspectAfterMs: number;
  /** A node silent this long is down, and its files are placed elsewhere. */
  nodeDownAfterMs: number;
  /** Re-hash the main copies this often; 0: on demand only. */
  scrubIntervalMs: number;
  /** Events the log keeps (the newest); SSE resumes and file histories reach back this far. */
  eventsKeep?: number;
  /** An event stream whose reader falls this far behind (bytes queued) is closed. */
  eventsMaxQueuedBytes?: number;
  /** How workers reach this service; derived from the bound port when unset. */
  publicUrl: string | undefined;
  maxUploadBytes: number;
  /** Guards uploads and deletes (and downloads, with protectDownloads). */
  apiToken: string | undefined;
  /** Guards the internal endpoints workers use. */
  clusterToken: string | undefined;
  /** Downloads, status, listings and /nodes need the API token too. Default false. */
  protectDownloads?: boolean;
  amqpPrefix: string;
  deliveryLimit: number;
  /** A pending replica whose command was published this long ago gets it again (the outbox). */
  republishAfterMs: number;
  /** Ceiling of the doubling delay between re-publishes of one command. */
  republishMaxMs: number;
  /**
   * Files up to this size are small: uploads declaring it are read into memory and stored in
   * groups, and their bytes travel inside the replication command (0: none is small).
   */
  inlineMaxBytes: number;
  /** A replica that ended `failed` is tried again this long after it failed. */
  retryFailedAfterMs: number;
  reconcileIntervalMs: number;
  /** A connection silent this long is closed (slow-client guard). */
  idleTimeoutMs: number;
  /** An upload's body must arrive in full within this long. Default one hour. */
  requestTimeoutMs?: number;
  /** How a connection refused mid-body goes on reading before it closes. Default DEFAULT_LINGER_BUDGET. */
  linger?: LingerBudget;
  /** The S3-compatible API on its own port; off when undefined. */
  s3?: S3Config | undefined;
  /** A resumable upload not written to for this long expires and is swept. Default 24 h. */
  tusExpireAfterMs: number;
}

/** `s3Defaults`: what the S3 API falls back to when its variables are unset (all-in-one). */
export function ingestConfig(e: IngestEnv, s3Defaults?: typeof ALL_IN_ONE_S3): IngestConfig {
  if (e.DFR_PROTECT_DOWNLOADS && !e.DFR_API_TOKEN) {
    throw new ConfigError(['DFR_PROTECT_DOWNLOADS: needs DFR_API_TOKEN, the token downloads then require']);
  }
  return {
    host: e.DFR_HOST,
    port: e.DFR_PORT,
    dataDir: e.DFR_DATA_DIR,
    databaseUrl: e.DFR_DATABASE_URL,
    nodes: e.DFR_NODES,
    replicas: e.DFR_REPLICAS,
    nodeSuspectAfterMs: Math.min(e.DFR_NODE_SUSPECT_AFTER_MS, e.DFR_NODE_DOWN_AFTER_MS),
    nodeDownAfterMs: e.DFR_NODE_DOWN_AFTER_MS,
    scrubIntervalMs: e.DFR_SCRUB_INTERVAL_MS,
    eventsKeep: e.DFR_EVENTS_KEEP,
    eventsMaxQueuedBytes: e.DFR_EVENTS_MAX_QUEUED_BYTES,
    publicUrl: e.DFR_PUBLIC_URL,
    maxUploadBytes: e.DFR_MAX_UPLOAD_BYTES,
    apiToken: e.DFR_API_TOKEN,
    clusterToken: e.DFR_CLUSTER_TOKEN,
    protectDownloads: e.DFR_PROTECT_DOWNLOADS,
    amqpPrefix: e.DFR_AMQP_PREFIX,
    deliveryLimit: e.DFR_DELIVERY_LIMIT,
    republishAfterMs: e.DFR_REPUBLISH_AFTER_MS,
    republishMaxMs: e.DFR_REPUBLISH_MAX_MS,
    inlineMaxBytes: e.DFR_INLINE_MAX_BYTES,
    retryFailedAfterMs: e.DFR_RETRY_FAILED_AFTER_MS,
    reconcileIntervalMs: e.DFR_RECONCILE_INTERVAL_MS,
    idleTimeoutMs: e.DFR_IDLE_TIMEOUT_MS,
    requestTimeoutMs: e.DFR_REQUEST_TIMEOUT_MS,
    linger: { timeMs: e.DFR_LINGER_TIME_MS, idleMs: e.DFR_LINGER_IDLE_MS, maxBytes: e.DFR_LINGER_MAX_BYTES },
    s3: s3Config(e, s3Defaults),
    tusExpireAfterMs: e.DFR_TUS_EXPIRE_AFTER_MS,
  };
}
