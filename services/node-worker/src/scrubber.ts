import type { Broker } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import type { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { type ScrubReport, scrubStore } from '../../../shared/src/fs/scrub-store.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { encodeMessage } from '../../../shared/src/messages/index.ts';
import type { BackgroundWork } from '../../../shared/src/process/background-work.ts';
import type { WorkerMetrics } from './worker-metrics.ts';

const LOST_REPORT_RETRY_MS = 30_000;

export type { ScrubReport };

/**
 * Re-hashes every blob of the node's store against its receipt. A damaged copy is removed (so
 * it is never served again), noted in the store, and reported as ReplicaLost, which makes
 * ingest send the file again. Runs on an interval and on demand; one pass at a time.
 */
export class Scrubber {
  private running: Promise<ScrubReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      nodeId: string;
      store: BlobStore;
      broker: Broker;
      names: TopologyNames;
      logger: Logger;
      background: BackgroundWork;
      metrics?: Pick<WorkerMetrics, 'scrubbed'>;
    },
  ) {}

  /** Schedules passes every intervalMs (0: on demand only); unreported losses are retried often. */
  start(intervalMs: number): void {
    const { background } = this.deps;
    if (intervalMs > 0) {
      this.timer = setInterval(() => background.run('a scrub pass', () => this.runOnce()), intervalMs);
      this.timer.unref();
    }
    this.reportTimer = setInterval(
      () => background.run('reporting lost replicas', () => this.reportLost()),
      LOST_REPORT_RETRY_MS,
    );
    this.reportTimer.unref();
  }

  /** Stops the timers; a pass under way ends after the blob it is checking. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.reportTimer);
    await this.running?.catch(() => undefined);
  }

  runOnce(): Promise<ScrubReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<ScrubReport> {
    const { store, logger } = this.deps;
    const report = await scrubStore(
      store,
      async (id) => {
        await store.markLost(id, 'SHA-256 of the stored bytes no longer matches');
        logger.error({ fileId: id }, 'scrub found a damaged replica; removed it');
      },
      () => this.stopping,
    );
    this.deps.metrics?.scrubbed(report);
    await this.reportLost();
    logger.info({ checked: report.checked, removed: report.removed.length }, 'scrub pass done');
    return report;
  }

  /**
   * Reports every loss noted in the store, forgetting each note only once the broker confirmed
   * the event: a loss that cannot be reported now is reported by a later pass.
   */
  async reportLost(): Promise<void> {
    const { store, broker, names, nodeId, logger } = this.deps;
    for (const { id, reason } of await store.lost()) {
      const event = encodeMessage({ type: 'ReplicaLost', version: 1, fileId: id, node: nodeId, reason });
      try {
        await broker.publish(names.eventsExchange, EventKeys.replicaLost, event);
        await store.forgetLost(id);
      } catch (err) {
        logger.warn({ fileId: id, err }, 'could not report a lost replica yet');
      }
    }
  }
}
