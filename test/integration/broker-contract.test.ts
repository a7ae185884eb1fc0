import { AmqpBroker } from '../../shared/src/broker/amqp-broker.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { silentLogger } from '../../shared/src/logger.ts';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl } from '../support/amqp.ts';
import { brokerContract } from './broker-contract.ts';

const amqpUrl = resolveAmqpUrl();

brokerContract('MemoryBroker', async () => {
  const broker = new MemoryBroker();
  return { broker, cleanup: () => broker.close() };
});

describeWithRabbit('RabbitMQ', amqpUrl, (url) => {
  brokerContract('AmqpBroker', async ({ prefix, nodes }) => {
    const broker = await AmqpBroker.start({ url, logger: silentLogger() });
    const cleanup = async () => {
      try {
        await broker.close();
      } finally {
        await deleteTopology(url, prefix, nodes);
      }
    };
    try {
      await broker.waitUntilConnected(10_000);
    } catch (err) {
      await cleanup();
      throw err;
    }
    return { broker, cleanup };
  });
});
