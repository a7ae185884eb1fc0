import type { Broker } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { encodeMessage } from '../../../shared/src/messages/index.ts';

/** Tells ingest, every interval, that this worker is alive and where it serves downloads. */
export function startHeartbeat(options: {
  broker: Broker;
  names: TopologyNames;
  nodeId: string;
  workerId: string;
  url: string;
  intervalMs: number;
  logger: Logger;
}): { stop(): void } {
  const beat = () => {
    if (!options.broker.isConnected()) return;
    const message = encodeMessage({
      type: 'NodeHeartbeat',
      version: 1,
      node: options.nodeId,
      workerId: options.workerId,
      url: options.url,
      at: new Date().toISOString(),
    });
    options.broker
      .publish(options.names.eventsExchange, EventKeys.nodeHeartbeat, message)
      .catch((err: unknown) => options.logger.debug({ err }, 'heartbeat not sent'));
  };
  beat();
  const timer = setInterval(beat, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
