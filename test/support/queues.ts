import amqp from 'amqplib';

/** Consumers and ready messages of a queue, as RabbitMQ reports them. */
export async function queueInfo(
  url: string,
  queue: string,
): Promise<{ consumers: number; messages: number }> {
  const connection = await amqp.connect(url, { timeout: 5000 });
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const info = await channel.checkQueue(queue);
    return { consumers: info.consumerCount, messages: info.messageCount };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Publishes raw bytes with a confirm, as a misbehaving or duplicating producer would. */
export async function publishRaw(
  url: string,
  exchange: string,
  routingKey: string,
  body: Buffer,
): Promise<void> {
  const connection = await amqp.connect(url, { timeout: 5000 });
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    channel.publish(exchange, routingKey, body, { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close().catch(() => undefined);
  }
}
