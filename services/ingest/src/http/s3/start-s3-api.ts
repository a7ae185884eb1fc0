import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../../../../../shared/src/http/close-server.ts';
import type { Logger } from '../../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../../shared/src/process/background-work.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config.ts';
import type { EventLog } from '../../events/event-log.ts';
import type { MainCopies } from '../../main-copies/main-copies.ts';
import type { CommandPublisher } from '../../replication/command-publisher.ts';
import type { S3Storage } from '../../s3/open-s3-storage.ts';
import { S3Objects } from '../../s3/s3-objects.ts';
import { expireUploads } from '../../s3/upload-expiry.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import type { UploadService } from '../../uploads/upload-service.ts';
import { createS3App } from './s3-app.ts';
import type { S3Config } from './s3-config.ts';
import { listenS3 } from './s3-server.ts';
import { SigningKeys } from './sigv4/signing.ts';

/** How often abandoned multipart uploads are looked for. */
const EXPIRY_INTERVAL_MS = 3_600_000;

export interface S3Deps {
  host: string;
  /** The catalog and the parts (s3/open-s3-storage.ts), opened before ingest's REST port serves. */
  storage: S3Storage;
  maxUploadBytes: number;
  /** Default: DEFAULT_REQUEST_TIMEOUT_MS, as for `/files`. */
  requestTimeoutMs?: number | undefined;
  idleTimeoutMs: number;
  uploads: UploadService;
  metadata: MetadataStore;
  mainCopies: MainCopies;
  publisher: CommandPublisher;
  background: BackgroundWork;
  logger: Logger;
  events: EventLog;
}

export interface RunningS3Api {
  url: string;
  port: number;
  server: Server;
  /** Stops listening; requests under way may finish within drainMs. */
  stop(drainMs: number): Promise<void>;
  /** Closes the catalog, once background work is drained. */
  close(): Promise<void>;
}

/**
 * Starts the S3 front end beside ingest's REST port: its catalog on ingest's metadata database
 * (PostgreSQL or SQLite, whichever ingest runs on), multipart parts in `<data dir>/s3-parts/`,
 * the same upload service and deletes as `/files`.
 */
export async function startS3Api(config: S3Config, deps: S3Deps): Promise<RunningS3Api> {
  const logger = deps.logger.child({ api: 's3' });
  const { catalog, parts } = deps.storage;
  const objects = new S3Objects({
    catalog,
    uploads: deps.uploads,
    deletes: {
      metadata: deps.metadata,
      mainCopies: deps.mainCopies,
      events: deps.events,
      publisher: deps.publisher,
      background: deps.background,
      logger,
    },
    logger,
  });
  const app = createS3App({
    catalog,
    objects,
    parts,
    metadata: deps.metadata,
    mainCopies: deps.mainCopies,
    credentials: {
      accessKey: config.accessKey,
      keys: new SigningKeys(config.secretKey),
      region: config.region,
    },
    maxUploadBytes: deps.maxUploadBytes,
    requestTimeoutMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    background: deps.background,
    logger,
  });
  const server = await listenS3(app, deps.host, config.port, deps.idleTimeoutMs, config.tls);
  const port = (server.address() as AddressInfo).port;
  const expire = () =>
    deps.background.run('expiring S3 multipart uploads', () => expireUploads(catalog, parts.local, logger));
  expire();
  const timer = setInterval(expire, EXPIRY_INTERVAL_MS);
  timer.unref();
  if (config.defaultKeys)
    logger.warn(
      'the S3 API accepts the default key pair dfr-access / dfr-secret-key: set DFR_S3_ACCESS_KEY and DFR_S3_SECRET_KEY',
    );
  const scheme = config.tls ? 'https' : 'http';
  logger.info({ region: config.region }, `S3 API ready at ${scheme}://${deps.host}:${port}`);
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    server,
    async stop(drainMs) {
      clearInterval(timer);
      await closeServer(server, drainMs);
    },
    async close() {
      await deps.storage.close();
    },
  };
}
