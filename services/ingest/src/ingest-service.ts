import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Broker, Consumer } from '../../../shared/src/broker/broker.ts';
import { replicationTopology, topologyNames } from '../../../shared/src/broker/topology.ts';
import { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { closeServer } from '../../../shared/src/http/close-server.ts';
import { listen } from '../../../shared/src/http/listen.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { BackgroundWork } from '../../../shared/src/process/background-work.ts';
import { NodeRegistry } from './cluster/node-registry.ts';
import type { IngestConfig } from './config.ts';
import { createIngestApp } from './http/app.ts';
import { startS3Api } from './http/s3/start-s3-api.ts';
import { instanceIdOf } from './instance-id.ts';
import { MainCopies } from './main-copies/main-copies.ts';
import { sweepOrphanBlobs } from './main-copies/orphan-sweep.ts';
import { CommandPublisher } from './replication/command-publisher.ts';
import { eventConsumer } from './replication/event-handlers.ts';
import type { OutboxPolicy } from './replication/outbox-policy.ts';
import { Reconciler } from './replication/reconciler.ts';
import { ReplicaWaits } from './replication/replica-waits.ts';
import { SqliteMetadataStore } from './store/sqlite/sqlite-metadata-store.ts';
import { GroupCommit } from './uploads/group-commit.ts';
import { SmallFileWriter } from './uploads/small-file-writer.ts';
import { UploadService } from './uploads/upload-service.ts';

/** Heartbeats arrive every few seconds; a node silent this long is unhealthy. */
const NODE_STALE_AFTER_MS = 15_000;

/** How long stopping lets requests under way finish before cutting their connections. */
const REQUEST_DRAIN_MS = 8_000;

/** How long stopping waits for work started in the background (publishes, repairs, sweeps). */
const BACKGROUND_DRAIN_MS = 5_000;

export interface RunningIngest {
  url: string;
  port: number;
  server: Server;
  reconciler: Reconciler;
  /** The S3 API's URL, when it is on. */
  s3Url?: string | undefined;
  /** Stops intake, lets in-flight requests and background work finish, closes the consumer and the database. */
  stop(): Promise<void>;
}

/** Opens the store and database, declares the topology, starts consuming events and listening. */
export async function startIngest(
  config: IngestConfig,
  broker: Broker,
  logger: Logger,
): Promise<RunningIngest> {
  const blobs = new BlobStore(config.dataDir);
  await blobs.open();
  const instanceId = await instanceIdOf(config.dataDir, blobs.tmpDir);
  const metadata = new SqliteMetadataStore(join(config.dataDir, 'metadata.db'));
  const registry = new NodeRegistry(config.nodes, NODE_STALE_AFTER_MS);
  const background = new BackgroundWork(logger);
  const names = topologyNames(config.amqpPrefix);
  let publicUrl = config.publicUrl;
  const topology = replicationTopology({
    prefix: config.amqpPrefix,
    nodes: config.nodes,
    ingestEvents: true,
    deliveryLimit: config.deliveryLimit,
  });
  const policy: OutboxPolicy = {
    republishAfterMs: config.republishAfterMs,
    republishMaxMs: config.republishMaxMs,
    retryFailedAfterMs: config.retryFailedAfterMs,
  };
  const publisher = new CommandPublisher({
    broker,
    metadata,
    names,
    policy,
    logger,
    sourceBaseUrl: () => publicUrl ?? `http://127.0.0.1:${config.port}`,
    redeclareTopology: () => broker.assertTopology(topology),
    inlineMaxBytes: config.inlineMaxBytes,
    // Only files up to inlineMaxBytes are read: one synchronous read beats four async fs calls.
    readMainCopy: async (id) => readFileSync(blobs.blobPath(id)),
  });
  await broker.assertTopology(topology);
  const consumer: Consumer = await broker.consume(
    names.ingestEventsQueue,
    eventConsumer({ metadata, registry, publisher, policy, logger }),
    { prefetch: 64 },
  );

  const waits = new ReplicaWaits(metadata);
  const uploads = new UploadService({
    blobs,
    smallFiles: new SmallFileWriter(blobs),
    admissions: new GroupCommit(metadata),
    metadata,
    publisher,
    waits,
    background,
    logger,
    instanceId,
    nodes: () => config.nodes,
    maxUploadBytes: config.maxUploadBytes,
    smallMaxBytes: config.inlineMaxBytes,
  });
  const mainCopies = new MainCopies({
    blobs,
    registry,
    clusterToken: config.clusterToken,
    background,
    logger,
  });
  const app = createIngestApp({
    config,
    blobs,
    mainCopies,
    metadata,
    uploads,
    publisher,
    registry,
    broker,
    background,
    logger,
  });
  const server = await listen(app, config.host, config.port, config.idleTimeoutMs);
  const port = (server.address() as AddressInfo).port;
  publicUrl ??= `http://127.0.0.1:${port}`;
  const s3Deps = { ...config, uploads, metadata, mainCopies, blobs, publisher, background, logger };
  const s3 = config.s3 && (await startS3Api(config.s3, s3Deps));
  const reconciler = new Reconciler({ metadata, publisher, logger }, config.reconcileIntervalMs);
  reconciler.start();
  // Commands left unpublished by a previous run go out now rather than after the first interval.
  background.run('the first reconciler pass', () => reconciler.runOnce());
  // In the background, so start-up time does not grow with the number of files.
  background.run('the orphan sweep', () => sweepOrphanBlobs(blobs, metadata, logger));

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    reconciler,
    s3Url: s3?.url,
    async stop() {
      await Promise.all([closeServer(server, REQUEST_DRAIN_MS), s3?.stop(REQUEST_DRAIN_MS)]);
      await reconciler.stop();
      if (!(await background.drain(BACKGROUND_DRAIN_MS))) {
        logger.warn(
          { tasks: background.size },
          'background work still running at shutdown; the outbox redoes it',
        );
      }
      await s3?.close();
      await consumer.close({ drainTimeoutMs: 5_000 });
      waits.close();
      await metadata.close();
    },
  };
}
