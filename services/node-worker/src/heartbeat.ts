import { statfs } from 'node:fs/promises';
import type { Broker } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { encodeMessage } from '../../../shared/src/messages/index.ts';

/**
 * Tells ingest, every interval, that this worker is alive, where it serves downloads, the node's
 * zone, and how much its store's filesystem may still take (placement weighs nodes by it).
 */
export function startHeartbeat(options: {
  broker: Broker;
  names: TopologyNames;
  nodeId: string;
  workerId: string;
  url: string;
  zone: string | undefined;
  /** The node's store, whose filesystem's free and total bytes the heartbeat reports. */
  storeDir: string;
  intervalMs: number;
  logger: Logger;
}): { stop(): void } {
  const beat = async () => {
    if (!options.broker.isConnected()) return;
    const space = await statfs(options.storeDir).catch(() => undefined);
    const message = encodeMessage({
      type: 'NodeHeartbeat',
      version: 1,
      node: options.nodeId,
      workerId: options.workerId,
      url: options.url,
      at: new Date().toISOString(),
      ...(options.zone ? { zone: options.zone } : {}),
      ...(space ? { freeBytes: space.bavail * space.bsize, totalBytes: space.blocks * space.bsize } : {}),
    });
    await options.broker.publish(options.names.eventsExchange, EventKeys.nodeHeartbeat, message);
  };
  const send = () => {
    beat().catch((err: unknown) => options.logger.debug({ err }, 'heartbeat not sent'));
  };
  send();
  const timer = setInterval(send, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
