import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Broker } from '../../../shared/src/broker/broker.ts';
import { replicationTopology, topologyNames } from '../../../shared/src/broker/topology.ts';
import { STALE_TMP_MS } from '../../../shared/src/fs/temporary-folders.ts';
import { TieredBlobStore } from '../../../shared/src/fs/tiered-blob-store.ts';
import { closeServer } from '../../../shared/src/http/close-server.ts';
import { listen } from '../../../shared/src/http/listen.ts';
import { createMetrics } from '../../../shared/src/http/metrics.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { BackgroundWork } from '../../../shared/src/process/background-work.ts';
import { createWorkerApp } from './app.ts';
import type { WorkerConfig } from './config.ts';
import { startHeartbeat } from './heartbeat.ts';
import { Inventory } from './inventory.ts';
import { Replicator } from './replicator.ts';
import { Scrubber } from './scrubber.ts';
import { WorkerMetrics } from './worker-metrics.ts';

/**
 * RabbitMQ reports a quorum queue's consumers in its statistics, refreshed every 5 s: a worker
 * calls itself healthy only once operators (`rabbitmqctl list_queues`) can see it consuming.
 */
const CONSUMER_VISIBLE_AFTER_MS = 5_500;

/** How long a stopping worker lets copies under way finish. */
const SHUTDOWN_DRAIN_MS = 10_000;

/** How long it then waits for work started in the background (a drop, a report, a sweep). */
const BACKGROUND_DRAIN_MS = 3_000;

export interface RunningWorker {
  url: string;
  port: number;
  workerId: string;
  server: Server;
  scrubber: Scrubber;
  /** Stops consuming (unfinished copies go back to the queue), then closes the HTTP server. */
  stop(): Promise<void>;
}

/** Opens the node's store, serves it over HTTP, and consumes the node's queue. */
export async function startWorker(
  config: WorkerConfig,
  broker: Broker,
  logger: Logger,
  options: { consumerVisibleAfterMs?: number } = {},
): Promise<RunningWorker> {
  const store = new TieredBlobStore(config.dir, { smallMaxBytes: config.smallMaxBytes });
  await store.open();
  const background = new BackgroundWork(logger);
  const sweeper = setInterval(
    () => background.run('sweeping temporary files', () => store.sweepTemporary(STALE_TMP_MS)),
    STALE_TMP_MS,
  );
  sweeper.unref();

  let readyAtMs = Number.POSITIVE_INFINITY;
  const names = topologyNames(config.amqpPrefix);
  const metrics = createMetrics({ service: 'node-worker', node: config.nodeId });
  const workerMetrics = new WorkerMetrics(metrics.registry);
  const scrubber = new Scrubber({
    nodeId: config.nodeId,
    store,
    broker,
    names,
    logger,
    background,
    metrics: workerMetrics,
  });
  const inventory = new Inventory({ nodeId: config.nodeId, store, broker, names, background, logger });
  const server = await listen(
    createWorkerApp({
      nodeId: config.nodeId,
      store,
      logger,
      metrics,
      access: config,
      scrub: () => scrubber.runOnce(),
      inventory: () => inventory.sendOnce(),
      onDamaged: (fileId) =>
        background.run(
          'dropping a damaged replica',
          async () => {
            await store.markLost(fileId, 'a download found the stored bytes damaged');
            await scrubber.reportLost();
          },
          { fileId },
        ),
      isReady: () => Date.now() >= readyAtMs,
    }),
    config.host,
    config.port,
    config.idleTimeoutMs,
  );
  const port = (server.address() as AddressInfo).port;
  const url = config.publicUrl ?? `http://127.0.0.1:${port}`;
  const workerId = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;

  await broker.assertTopology(
    replicationTopology({
      prefix: config.amqpPrefix,
      nodes: [config.nodeId],
      ingestEvents: false,
      deliveryLimit: config.deliveryLimit,
    }),
  );
  const replicator = new Replicator({
    nodeId: config.nodeId,
    store,
    broker,
    names,
    logger,
    clusterToken: config.clusterToken,
    deliveryLimit: config.deliveryLimit,
    metrics: workerMetrics,
  });
  scrubber.start(config.scrubIntervalMs);
  const consumer = await broker.consume(names.nodeQueue(config.nodeId), replicator.handle, {
    prefetch: config.prefetch,
  });
  readyAtMs = Date.now() + (options.consumerVisibleAfterMs ?? CONSUMER_VISIBLE_AFTER_MS);
  const heartbeat = startHeartbeat({
    broker,
    names,
    nodeId: config.nodeId,
    workerId,
    url,
    zone: config.zone,
    storeDir: config.dir,
    intervalMs: config.heartbeatIntervalMs,
    logger,
  });
  inventory.start(config.inventoryIntervalMs ?? 3_600_000);

  return {
    url,
    port,
    workerId,
    server,
    scrubber,
    async stop() {
      heartbeat.stop();
      inventory.stop();
      clearInterval(sweeper);
      const scrubbed = scrubber.stop();
      const closed = closeServer(server, SHUTDOWN_DRAIN_MS);
      // Copies under way may finish; what is still unsettled then returns to the queue, and
      // its temporary file is swept by the next worker to open the store.
      await consumer.close({ drainTimeoutMs: SHUTDOWN_DRAIN_MS });
      await Promise.all([closed, scrubbed]);
      if (!(await background.drain(BACKGROUND_DRAIN_MS))) {
        logger.warn({ tasks: background.size }, 'background work still running at shutdown');
      }
      await store.close();
    },
  };
}
