import { join } from 'node:path';
import type { z } from 'zod';
import { createBroker } from '../../../shared/src/broker/create-broker.ts';
import { env, parseConfig } from '../../../shared/src/config.ts';
import { createLogger } from '../../../shared/src/logger.ts';
import { runMain } from '../../../shared/src/process/run-main.ts';
import { IngestEnv, ingestConfig } from '../../ingest/src/config.ts';
import { ALL_IN_ONE_S3 } from '../../ingest/src/http/s3/s3-config.ts';
import { startIngest } from '../../ingest/src/ingest-service.ts';
import { WorkerEnv, workerConfig } from '../../node-worker/src/config.ts';
import { type RunningWorker, startWorker } from '../../node-worker/src/worker-service.ts';

/** All-in-one adds only where the node stores live and the first node port. */
const AllInOneEnv = IngestEnv.extend({
  DFR_NODES_DIR: env.string('./nodes'),
  DFR_NODE_PORT: env.port(9001),
});

const logger = createLogger({ service: 'all-in-one' });

await runMain(
  () => logger,
  async () => {
    const e: z.infer<typeof AllInOneEnv> = parseConfig(AllInOneEnv, process.env);
    // The S3 API is on in all-in-one, with a published key pair unless the operator sets one.
    const config = ingestConfig(e, ALL_IN_ONE_S3);
    const broker = await createBroker(e.AMQP_URL, logger);
    const ingest = await startIngest(config, broker, createLogger({ service: 'ingest' }));
    const workers: RunningWorker[] = [];
    for (const [index, nodeId] of config.nodes.entries()) {
      const nodeLogger = createLogger({ service: 'node-worker', node: nodeId });
      // Each worker reads the same environment as a separate worker process would, with its
      // node's id, store and port; DFR_PUBLIC_URL is ingest's here, not the workers'.
      const workerEnv = parseConfig(WorkerEnv, {
        ...process.env,
        DFR_NODE_ID: nodeId,
        DFR_NODE_DIR: join(e.DFR_NODES_DIR, nodeId),
        DFR_NODE_PORT: String(e.DFR_NODE_PORT === 0 ? 0 : e.DFR_NODE_PORT + index),
        DFR_PUBLIC_URL: '',
      });
      const worker = await startWorker(
        workerConfig(workerEnv),
        broker,
        nodeLogger,
        // The embedded broker has no statistics lag.
        { consumerVisibleAfterMs: e.AMQP_URL ? undefined : 0 },
      );
      nodeLogger.info({ url: worker.url }, `Worker ${nodeId} listening on ${config.host}:${worker.port}`);
      workers.push(worker);
    }
    logger.info(
      { dataDir: config.dataDir, nodesDir: e.DFR_NODES_DIR },
      `Server listening on ${config.host}:${ingest.port}`,
    );
    return {
      async stop() {
        await ingest.stop();
        await Promise.all(workers.map((w) => w.stop()));
        await broker.close();
      },
    };
  },
);
