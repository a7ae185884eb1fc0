import { createBroker } from '../../../shared/src/broker/create-broker.ts';
import { ConfigError, parseConfig } from '../../../shared/src/config.ts';
import { createLogger, type Logger } from '../../../shared/src/logger.ts';
import { runMain } from '../../../shared/src/process/run-main.ts';
import { IngestEnv, ingestConfig } from './config.ts';
import { startIngest } from './ingest-service.ts';

const logger: Logger = createLogger({ service: 'ingest' });

await runMain(
  () => logger,
  async () => {
    const env = parseConfig(IngestEnv, process.env);
    if (!env.AMQP_URL)
      throw new ConfigError(['AMQP_URL: required for a separate ingest process (npm start runs without it)']);
    const config = ingestConfig(env);
    const broker = await createBroker(env.AMQP_URL, logger);
    const ingest = await startIngest(config, broker, logger);
    logger.info(
      { url: ingest.url, dataDir: config.dataDir },
      `Server listening on ${config.host}:${ingest.port}`,
    );
    return {
      async stop() {
        await ingest.stop();
        await broker.close();
      },
    };
  },
);
