import type { Logger } from '../../../../shared/src/logger.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import type { CommandPublisher } from './command-publisher.ts';
import { CLAIM_LEASE_MS } from './outbox-policy.ts';

/** Commands taken from the outbox per pass. */
const CLAIM_BATCH = 500;

/**
 * The outbox's clock: every interval, claims the commands that are due (unanswered for a while,
 * with a doubling delay; failed ones after a longer pause) and sends them. This heals a lost
 * message, a crash between commit and publish, and a broker that lost its queues, because the
 * metadata, not the broker, says what is still owed. Claims are leased, so the reconcilers of
 * several ingest instances on one database never send the same command at once.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly deps: { metadata: MetadataStore; publisher: CommandPublisher; logger: Logger },
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass, also callable on demand; concurrent calls share the pass in progress. */
  runOnce(): Promise<number> {
    this.running ??= this.pass()
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'reconciler pass failed');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(): Promise<number> {
    const nowMs = Date.now();
    const due = await this.deps.metadata.claimDue(nowMs, CLAIM_BATCH, nowMs + CLAIM_LEASE_MS);
    if (due.length === 0) return 0;
    const sent = await this.deps.publisher.publish(due);
    if (sent > 0) this.deps.logger.info({ sent }, 'reconciler re-published commands');
    return sent;
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
