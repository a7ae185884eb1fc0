import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Broker, Consumer } from '../../../shared/src/broker/broker.ts';
import { replicationTopology, topologyNames } from '../../../shared/src/broker/topology.ts';
import { TieredBlobStore } from '../../../shared/src/fs/tiered-blob-store.ts';
import { closeServer } from '../../../shared/src/http/close-server.ts';
import { listen } from '../../../shared/src/http/listen.ts';
import { createMetrics } from '../../../shared/src/http/metrics.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { BackgroundWork } from '../../../shared/src/process/background-work.ts';
import { ClusterStats } from './cluster/cluster-stats.ts';
import { FileStatuses } from './cluster/file-statuses.ts';
import { DEFAULT_HEALER_OPTIONS, Healer } from './cluster/healer.ts';
import { InstanceDirectory } from './cluster/instance-directory.ts';
import { Maintenance } from './cluster/maintenance.ts';
import { Membership } from './cluster/membership.ts';
import { NodeAdmin } from './cluster/node-admin.ts';
import { Placer } from './cluster/placer.ts';
import type { IngestConfig } from './config.ts';
import { EventFeed } from './events/event-feed.ts';
import { EventLog } from './events/event-log.ts';
import { FileMilestones } from './events/file-milestones.ts';
import { createIngestApp } from './http/app.ts';
import { startS3Api } from './http/s3/start-s3-api.ts';
import { instanceIdOf } from './instance-id.ts';
import { MainCopies } from './main-copies/main-copies.ts';
import { MainCopyScrubber } from './main-copies/main-copy-scrubber.ts';
import { sweepOrphanBlobs } from './main-copies/orphan-sweep.ts';
import { registerIngestMetrics } from './metrics/ingest-metrics.ts';
import { CommandPublisher } from './replication/command-publisher.ts';
import { eventConsumer } from './replication/event-handlers.ts';
import type { OutboxPolicy } from './replication/outbox-policy.ts';
import { Reconciler } from './replication/reconciler.ts';
import { ReplicaWaits } from './replication/replica-waits.ts';
import { openS3Storage } from './s3/open-s3-storage.ts';
import type { FileRecord } from './store/metadata-store.ts';
import { openMetadataStore } from './store/open-metadata-store.ts';
import { GroupCommit } from './uploads/group-commit.ts';
import { FilePartialUploadStore } from './uploads/resumable/file-partial-upload-store.ts';
import { ResumableUploads } from './uploads/resumable/resumable-uploads.ts';
import { UploadService } from './uploads/upload-service.ts';

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
  healer: Healer;
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
  const blobs = new TieredBlobStore(config.dataDir, { smallMaxBytes: config.inlineMaxBytes });
  await blobs.open();
  const instanceId = await instanceIdOf(config.dataDir, blobs.tmpDir);
  const opened = await openMetadataStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
  });
  const { store: metadata, nodes } = opened;
  logger.info(
    { engine: opened.engine, instanceId },
    `metadata in ${opened.engine === 'postgres' ? 'PostgreSQL' : 'SQLite'}`,
  );
  await nodes.expectNodes(config.nodes);
  const membership = new Membership(nodes, {
    suspectAfterMs: config.nodeSuspectAfterMs,
    downAfterMs: config.nodeDownAfterMs,
  });
  const statuses = new FileStatuses(metadata, membership);
  const events = new EventLog(opened.events, logger, config.eventsKeep ?? 100_000);
  const feed = new EventFeed(events, logger);
  const placer = new Placer(membership);
  const background = new BackgroundWork(logger);
  const names = topologyNames(config.amqpPrefix);
  const metrics = createMetrics({ service: 'ingest' });
  const cluster = new ClusterStats({ metadata, membership, broker, names });
  const { replicationSeconds } = registerIngestMetrics(metrics.registry, { cluster, membership });
  const milestones = new FileMilestones({ metadata, statuses, log: events, replicationSeconds });
  let publicUrl = config.publicUrl;
  const ownUrl = () => publicUrl ?? `http://127.0.0.1:${config.port}`;
  const instances = new InstanceDirectory({ metadata, selfId: instanceId, selfUrl: ownUrl, logger });
  const topologyFor = (ids: readonly string[]) =>
    replicationTopology({
      prefix: config.amqpPrefix,
      nodes: [...ids],
      ingestEvents: true,
      deliveryLimit: config.deliveryLimit,
    });
  const policy: OutboxPolicy = {
    republishAfterMs: config.republishAfterMs,
    republishMaxMs: config.republishMaxMs,
    retryFailedAfterMs: config.retryFailedAfterMs,
  };
  /** Nodes holding verified copies of a file, as pull sources for a copy to another node. */
  const otherSources = async (file: FileRecord, target: string) => {
    const status = await metadata.getFile(file.id);
    const urls: string[] = [];
    for (const receipt of status?.nodes ?? []) {
      if (receipt.node === target || receipt.state !== 'stored' || receipt.sha256 !== file.sha256) continue;
      const url = await membership.urlOf(receipt.node);
      if (url) urls.push(`${url}/files/${file.id}`);
    }
    return urls;
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
    otherSources,
    // Every node known by now, not only the configured ones: a queue may be missing for any.
    redeclareTopology: async () =>
      broker.assertTopology(topologyFor((await nodes.listNodes()).map((n) => n.id))),
    inlineMaxBytes: config.inlineMaxBytes,
    readMainCopy: (id) => blobs.bytesOf(id),
  });
  const healer = new Healer(
    {
      metadata,
      nodes,
      membership,
      placer,
      publisher,
      background,
      logger,
      holder: instanceId,
      events,
      milestones,
    },
    { ...DEFAULT_HEALER_OPTIONS, intervalMs: config.reconcileIntervalMs },
  );
  await broker.assertTopology(topologyFor(config.nodes));
  const consumer: Consumer = await broker.consume(
    names.ingestEventsQueue,
    eventConsumer({
      metadata,
      nodes,
      publisher,
      policy,
      logger,
      log: events,
      milestones,
      onNodeHeard: () => {
        membership.invalidate();
        healer.markDirty();
      },
    }),
    { prefetch: 64 },
  );

  const waits = new ReplicaWaits(metadata, statuses);
  const uploads = new UploadService({
    blobs,
    admissions: new GroupCommit(metadata),
    statuses,
    publisher,
    waits,
    background,
    logger,
    instanceId,
    placer,
    defaultReplicas: config.replicas,
    onUnderPlaced: () => healer.markDirty(),
    events,
    maxUploadBytes: config.maxUploadBytes,
  });
  const resumableUploads = new ResumableUploads({
    store: new FilePartialUploadStore(join(config.dataDir, 'tus-uploads'), blobs.tmpDir),
    uploads,
    files: metadata,
    background,
    logger,
    maxUploadBytes: config.maxUploadBytes,
    expireAfterMs: config.tusExpireAfterMs,
  });
  await resumableUploads.open();
  const mainCopies = new MainCopies({
    blobs,
    membership,
    instanceId,
    instances,
    clusterToken: config.clusterToken,
    background,
    logger,
  });
  const scrubber = new MainCopyScrubber({ blobs, metadata, mainCopies, background, logger });
  const reconciler = new Reconciler({ metadata, publisher, logger }, config.reconcileIntervalMs);
  // Before the REST port serves: the other instances read this one's parts through it.
  const s3Storage =
    config.s3 &&
    (await openS3Storage({
      postgres: opened.postgres,
      dataDir: config.dataDir,
      tmpDir: blobs.tmpDir,
      instanceId,
      instances,
      clusterToken: config.clusterToken,
      background,
      logger,
    }));
  const app = createIngestApp({
    config,
    blobs,
    mainCopies,
    metadata,
    statuses,
    uploads,
    resumableUploads,
    publisher,
    membership,
    nodes,
    instances,
    metadataReachable: () => opened.isReachable(),
    nodeAdmin: new NodeAdmin({ metadata, nodes, membership, healer, logger }),
    maintenance: new Maintenance({
      metadata,
      membership,
      blobs,
      mainCopies,
      healer,
      reconciler,
      scrubber,
      instanceId,
    }),
    events,
    feed,
    cluster,
    metrics,
    broker,
    s3: s3Storage,
    background,
    logger,
  });
  const server = await listen(app, config.host, config.port, config.idleTimeoutMs, config.linger);
  const port = (server.address() as AddressInfo).port;
  publicUrl ??= `http://127.0.0.1:${port}`;
  await instances.start();
  const s3Deps = { ...config, uploads, metadata, mainCopies, publisher, background, logger, events };
  const s3 = config.s3 && s3Storage && (await startS3Api(config.s3, { ...s3Deps, storage: s3Storage }));
  reconciler.start();
  healer.start();
  events.start();
  scrubber.start(config.scrubIntervalMs);
  resumableUploads.start();
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
    healer,
    s3Url: s3?.url,
    async stop() {
      // Live streams end first: they would otherwise hold the server open to its deadline.
      feed.close();
      await Promise.all([closeServer(server, REQUEST_DRAIN_MS), s3?.stop(REQUEST_DRAIN_MS)]);
      // Writes the close cut short keep what they received before the sweeps and the database stop.
      await resumableUploads.stop(BACKGROUND_DRAIN_MS);
      clearInterval(sweeps);
      instances.stop();
      await Promise.all([reconciler.stop(), healer.stop(), scrubber.stop()]);
      if (!(await background.drain(BACKGROUND_DRAIN_MS))) {
        logger.warn(
          { tasks: background.size },
          'background work still running at shutdown; the outbox redoes it',
        );
      }
      await s3?.close();
      await consumer.close({ drainTimeoutMs: 5_000 });
      await events.stop();
      waits.close();
      await opened.close();
      await blobs.close();
    },
  };
}
