import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Broker, Consumer } from '../../../shared/src/broker/broker.ts';
import { replicationTopology, topologyNames } from '../../../shared/src/broker/topology.ts';
import { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { closeServer } from '../../../shared/src/http/close-server.ts';
import { listen } from '../../../shared/src/http/listen.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { BackgroundWork } from '../../../shared/src/process/background-work.ts';
import { InstanceDirectory } from './cluster/instance-directory.ts';
import { NodeRegistry } from './cluster/node-registry.ts';
import type { IngestConfig } from './config.ts';
import { createIngestApp } from './http/app.ts';
import { instanceIdOf } from './instance-id.ts';
import { MainCopies } from './main-copies/main-copies.ts';
import { sweepOrphanBlobs } from './main-copies/orphan-sweep.ts';
import { CommandPublisher } from './replication/command-publisher.ts';
import { eventConsumer } from './replication/event-handlers.ts';
import type { OutboxPolicy } from './replication/outbox-policy.ts';
import { Reconciler } from './replication/reconciler.ts';
import { ReplicaWaits } from './replication/replica-waits.ts';
import { openMetadataStore } from './store/open-metadata-store.ts';
import { GroupCommit } from './uploads/group-commit.ts';
import { SmallFileWriter } from './uploads/small-file-writer.ts';
import { UploadService } from './uploads/upload-service.ts';

/** Heartbeats arrive every few seconds; a node silent this long is unhealthy. */
const NODE_STALE_AFTER_MS = 15_000;

/** How long stopping lets requests under way finish before cutting their connections. */
const REQUEST_DRAIN_MS = 8_000;

/**
 * Besides the sweep at start, each instance sweeps its data directory this often: the safety net
 * for a main copy whose delete another instance took while this one could not be asked.
 */
const ORPHAN_SWEEP_INTERVAL_MS = 3_600_000;

/** How long stopping waits for work started in the background (publishes, repairs, sweeps). */
const BACKGROUND_DRAIN_MS = 5_000;

export interface RunningIngest {
  url: string;
  port: number;
  server: Server;
  reconciler: Reconciler;
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
  const opened = await openMetadataStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
  });
  const metadata = opened.store;
  logger.info(
    { engine: opened.engine, instanceId },
    `metadata in ${opened.engine === 'postgres' ? 'PostgreSQL' : 'SQLite'}`,
  );
  const registry = new NodeRegistry(config.nodes, NODE_STALE_AFTER_MS);
  const background = new BackgroundWork(logger);
  const names = topologyNames(config.amqpPrefix);
  let publicUrl = config.publicUrl;
  const ownUrl = () => publicUrl ?? `http://127.0.0.1:${config.port}`;
  const instances = new InstanceDirectory({ metadata, selfId: instanceId, selfUrl: ownUrl, logger });
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
    // Workers pull from the instance holding the main copy; from this one (which passes it
    // through) while that instance is not known to be live.
    sourceBaseUrl: (file) => instances.urlOf(file.origin) ?? ownUrl(),
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
    instanceId,
    instances,
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
    instances,
    metadataReachable: () => opened.isReachable(),
    broker,
    background,
    logger,
  });
  const server = await listen(app, config.host, config.port, config.idleTimeoutMs);
  const port = (server.address() as AddressInfo).port;
  publicUrl ??= `http://127.0.0.1:${port}`;
  await instances.start();
  const reconciler = new Reconciler({ metadata, publisher, logger }, config.reconcileIntervalMs);
  reconciler.start();
  // Commands left unpublished by a previous run go out now rather than after the first interval.
  background.run('the first reconciler pass', () => reconciler.runOnce());
  // In the background, so start-up time does not grow with the number of files.
  background.run('the orphan sweep', () => sweepOrphanBlobs(blobs, metadata, logger));
  const sweeps = setInterval(
    () => background.run('the orphan sweep', () => sweepOrphanBlobs(blobs, metadata, logger)),
    ORPHAN_SWEEP_INTERVAL_MS,
  );
  sweeps.unref();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    reconciler,
    async stop() {
      await closeServer(server, REQUEST_DRAIN_MS);
      clearInterval(sweeps);
      instances.stop();
      await reconciler.stop();
      if (!(await background.drain(BACKGROUND_DRAIN_MS))) {
        logger.warn(
          { tasks: background.size },
          'background work still running at shutdown; the outbox redoes it',
        );
      }
      await consumer.close({ drainTimeoutMs: 5_000 });
      waits.close();
      await opened.close();
    },
  };
}
