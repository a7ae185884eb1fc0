import { parseArgs } from 'node:util';
import { createBroker } from '../../../shared/src/broker/create-broker.ts';
import { ConfigError, parseConfig } from '../../../shared/src/config.ts';
import { createLogger, type Logger } from '../../../shared/src/logger.ts';
import { runMain } from '../../../shared/src/process/run-main.ts';
import { WorkerEnv, workerConfig } from './config.ts';
import { startWorker } from './worker-service.ts';

const { values: flags } = parseArgs({
  options: { node: { type: 'string' }, port: { type: 'string' }, dir: { type: 'string' } },
  strict: true,
});

let logger: Logger = createLogger({ service: 'node-worker' });

await runMain(
  () => logger,
  async () => {
    // Flags override the environment variables of the same meaning.
    const env = parseConfig(WorkerEnv, {
      ...process.env,
      ...(flags.node !== undefined ? { DFR_NODE_ID: flags.node } : {}),
      ...(flags.port !== undefined ? { DFR_NODE_PORT: flags.port } : {}),
      ...(flags.dir !== undefined ? { DFR_NODE_DIR: flags.dir } : {}),
    });
    if (!env.AMQP_URL)
      throw new ConfigError(['AMQP_URL: required for a separate worker process (npm start runs without it)']);
    const config = workerConfig(env);
    logger = createLogger({ service: 'node-worker', node: config.nodeId });
    const broker = await createBroker(env.AMQP_URL, logger);
    const worker = await startWorker(config, broker, logger);
    logger.info(
      { url: worker.url, dir: config.dir, workerId: worker.workerId },
      `Worker ${config.nodeId} listening on ${config.host}:${worker.port}`,
    );
    return {
      async stop() {
        await worker.stop();
        await broker.close();
      },
    };
  },
);
