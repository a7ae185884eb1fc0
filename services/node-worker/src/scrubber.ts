import type { Broker } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import { errorMessage } from '../../../shared/src/errors.ts';
import type { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { encodeMessage } from '../../../shared/src/messages/index.ts';

export interface ScrubReport {
  checked: number;
  removed: string[];
}

/**
 * Re-hashes every blob of the node's store against its receipt. A damaged copy is removed (so
 * it is never served or counted again) and reported as ReplicaLost, which makes ingest send the
 * file again. Runs on an interval and on demand; one pass at a time.
 */
export class Scrubber {
  private running: Promise<ScrubReport> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      nodeId: string;
      store: BlobStore;
      broker: Broker;
      names: TopologyNames;
      logger: Logger;
    },
  ) {}

  /** Schedules passes every intervalMs; 0 means on demand only. */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  runOnce(): Promise<ScrubReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<ScrubReport> {
    const { store, logger } = this.deps;
    const report: ScrubReport = { checked: 0, removed: [] };
    for await (const record of store.list()) {
      report.checked += 1;
      if (await store.verify(record.id)) continue;
      await store.remove(record.id);
      report.removed.push(record.id);
      logger.error({ fileId: record.id }, 'scrub found a damaged replica; removed it');
      await this.reportLost(record.id, 'SHA-256 of the stored bytes no longer matches');
    }
    logger.info({ checked: report.checked, removed: report.removed.length }, 'scrub pass done');
    return report;
  }

  private async reportLost(fileId: string, reason: string): Promise<void> {
    const { broker, names, nodeId, logger } = this.deps;
    const event = encodeMessage({ type: 'ReplicaLost', version: 1, fileId, node: nodeId, reason });
    // Not reported now means reported by ingest's own bookkeeping later: a redelivered or
    // re-published ReplicateFile finds no copy here and makes a new one.
    await broker
      .publish(names.eventsExchange, EventKeys.replicaLost, event)
      .catch((err) => logger.warn({ fileId, err: errorMessage(err) }, 'could not report a lost replica'));
  }
}
