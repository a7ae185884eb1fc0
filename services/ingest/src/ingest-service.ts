import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Broker, Consumer } from '../../../shared/src/broker/broker.ts';
import { replicationTopology, topologyNames } from '../../../shared/src/broker/topology.ts';
import { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { listen } from '../../../shared/src/http/listen.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { createIngestApp } from './app.ts';
import type { IngestConfig } from './config.ts';
import { GroupCommit } from './group-commit.ts';
import { MainCopies } from './main-copy.ts';
import type { OutboxPolicy } from './metadata-store.ts';
import { NodeRegistry } from './node-registry.ts';
import { sweepOrphanBlobs } from './orphan-sweep.ts';
import { Reconciler } from './reconciler.ts';
import { Replication } from './replication.ts';
import { SmallFileWriter } from './small-file-writer.ts';
import { SqliteMetadataStore } from './sqlite-metadata-store.ts';

/** Heartbeats arrive every few seconds; a node silent this long is unhealthy. */
const NODE_STALE_AFTER_MS = 15_000;

export interface RunningIngest {
  url: string;
  port: number;
  server: Server;
  reconciler: Reconciler;
  /** Stops intake, lets in-flight requests finish, closes the consumer and the database. */
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
  const metadata = new SqliteMetadataStore(join(config.dataDir, 'metadata.db'));
  const registry = new NodeRegistry(config.nodes, NODE_STALE_AFTER_MS);
  const names = topologyNames(config.amqpPrefix);
  let publicUrl = config.publicUrl;
  const topology = replicationTopology({
    prefix: config.amqpPrefix,
    nodes: config.nodes,
    ingestEvents: true,
    deliveryLimit: config.deliveryLimit,
  });
  const replication = new Replication({
    broker,
    metadata,
    registry,
    names,
    logger,
    sourceBaseUrl: () => publicUrl ?? `http://127.0.0.1:${config.port}`,
    redeclareTopology: () => broker.assertTopology(topology),
    inlineMaxBytes: config.inlineMaxBytes,
    // Only files up to inlineMaxBytes are read: one synchronous read beats four async fs calls.
    readMainCopy: async (id) => readFileSync(blobs.blobPath(id)),
  });
  await broker.assertTopology(topology);
  const consumer: Consumer = await broker.consume(names.ingestEventsQueue, replication.handleEvent, {
    prefetch: 64,
  });

  const mainCopies = new MainCopies({ blobs, registry, clusterToken: config.clusterToken, logger });
  const admissions = new GroupCommit(metadata);
  const app = createIngestApp({
    config,
    blobs,
    mainCopies,
    metadata,
    admissions,
    smallFiles: new SmallFileWriter(blobs),
    replication,
    registry,
    broker,
    logger,
  });
  const server = await listen(app, config.host, config.port, config.idleTimeoutMs, config.linger);
  const port = (server.address() as AddressInfo).port;
  publicUrl ??= `http://127.0.0.1:${port}`;
  const policy: OutboxPolicy = {
    republishAfterMs: config.republishAfterMs,
    republishMaxMs: config.republishMaxMs,
    retryFailedAfterMs: config.retryFailedAfterMs,
  };
  const reconciler = new Reconciler(replication, {
    intervalMs: config.reconcileIntervalMs,
    policy,
    logger,
  });
  reconciler.start();
  // Commands left unpublished by a previous run go out now rather than after the first interval.
  void replication.republishDue(policy);
  // In the background, so start-up time does not grow with the number of files.
  void sweepOrphanBlobs(blobs, metadata, logger);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    reconciler,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await reconciler.stop();
      await consumer.close({ drainTimeoutMs: 5_000 });
      metadata.close();
    },
  };
}
