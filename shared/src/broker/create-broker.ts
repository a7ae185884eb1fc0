import type { Logger } from '../logger.ts';
import { AmqpBroker } from './amqp-broker.ts';
import type { Broker } from './broker.ts';
import { MemoryBroker } from './memory-broker.ts';

/** RabbitMQ when a URL is given, else the embedded broker (single process only). */
export async function createBroker(amqpUrl: string | undefined, logger: Logger): Promise<Broker> {
  if (amqpUrl) return AmqpBroker.start({ url: amqpUrl, logger: logger.child({ component: 'amqp' }) });
  logger.info('AMQP_URL is not set: using the embedded in-process broker (nothing survives a restart)');
  return new MemoryBroker();
}
