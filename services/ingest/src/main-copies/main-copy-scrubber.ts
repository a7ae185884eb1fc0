import type { BlobStore } from '../../../../shared/src/fs/blob-store.ts';
import { type ScrubReport, scrubStore } from '../../../../shared/src/fs/scrub-store.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import type { MainCopies } from './main-copies.ts';

/**
 * Re-hashes ingest's main copies on a timer (DFR_SCRUB_INTERVAL_MS) and on demand: a damaged
 * one is removed and rebuilt from a node's verified replica, before a download or a worker's
 * pull has to stumble on it. One pass at a time.
 */
export class MainCopyScrubber {
  private running: Promise<ScrubReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      blobs: BlobStore;
      metadata: MetadataStore;
      mainCopies: MainCopies;
      background: BackgroundWork;
      logger: Logger;
    },
  ) {}

  /** Schedules passes every intervalMs; 0: on demand only. */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(
      () => this.deps.background.run('a main-copy scrub pass', () => this.runOnce()),
      intervalMs,
    );
    this.timer.unref();
  }

  runOnce(): Promise<ScrubReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<ScrubReport> {
    const { blobs, metadata, mainCopies, logger } = this.deps;
    const report = await scrubStore(
      blobs,
      async (id) => {
        const file = await metadata.getFile(id);
        await blobs.remove(id);
        logger.error({ fileId: id }, 'scrub found a damaged main copy; removed it');
        if (file) mainCopies.repair(file);
      },
      () => this.stopping,
    );
    logger.info({ checked: report.checked, removed: report.removed.length }, 'main-copy scrub pass done');
    return report;
  }
}
