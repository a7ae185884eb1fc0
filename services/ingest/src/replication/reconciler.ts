import { errorMessage } from '../../../shared/src/errors.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import type { OutboxPolicy } from './metadata-store.ts';
import type { Replication } from './replication.ts';

/**
 * The outbox's clock: every interval, publishes the commands the outbox policy says are due
 * (unanswered for a while, with a doubling delay; failed ones after a longer pause). This heals a lost message, a crash between commit and publish, and a broker
 * that lost its queues, because the metadata, not the broker, says what is still owed.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly replication: Replication,
    private readonly options: { intervalMs: number; policy: OutboxPolicy; logger: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One pass, also callable on demand; concurrent calls share the pass in progress. */
  runOnce(): Promise<number> {
    this.running ??= this.replication
      .republishDue(this.options.policy)
      .then((sent) => {
        if (sent > 0) this.options.logger.info({ sent }, 'reconciler re-published commands');
        return sent;
      })
      .catch((err) => {
        this.options.logger.error({ err: errorMessage(err) }, 'reconciler pass failed');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
