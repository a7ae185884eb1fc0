import type { Logger } from '../../../../shared/src/logger.ts';
import type { StoredEvent } from '../store/event-store.ts';
import type { EventLog } from './event-log.ts';

/** How often the log is read for events other processes appended. */
const POLL_MS = 250;
/** Events read per look. */
const PAGE = 1_000;
/**
 * How far back each look reaches. PostgreSQL hands out ids when rows are inserted, not when
 * they commit, so an event can become visible after one with a higher id; reading a little way
 * back, and remembering what was delivered, catches it.
 */
const LOOKBACK = 200;

export type FeedListener = (events: readonly StoredEvent[]) => void;

/** A subscription: where the feed stood when it began, and how to end it. */
export interface Subscription {
  since: number;
  stop(): void;
}

/**
 * Tails the event log once for the whole process and hands every new event to each subscriber
 * (the SSE streams): hundreds of streams cost one query per look, not one each. Looks happen
 * right after this process appends and every POLL_MS while anyone listens.
 */
export class EventFeed {
  private readonly listeners = new Map<FeedListener, () => void>();
  private cursor: number | undefined;
  /** Where the feed started: nothing at or below it is news. */
  private floor = 0;
  private readonly delivered = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private again = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly log: EventLog,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = log.onAppended(() => this.look());
  }

  /**
   * Events appended from now on go to `listener` (in id order, each once); returns the id the
   * feed had reached, so a stream can replay up to it first without gap or repeat.
   */
  async subscribe(listener: FeedListener, onClosed: () => void = () => undefined): Promise<Subscription> {
    if (this.listeners.size === 0) {
      // Nobody listened meanwhile: start from now rather than from where the last one left.
      this.cursor = await this.log.lastId();
      this.floor = this.cursor;
      this.delivered.clear();
    }
    this.listeners.set(listener, onClosed);
    if (!this.timer) {
      this.timer = setInterval(() => this.look(), POLL_MS);
      this.timer.unref();
    }
    return {
      since: this.cursor ?? 0,
      stop: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  /** Ends every subscription (each one's onClosed runs: streams end) and stops tailing. */
  close(): void {
    this.unsubscribe();
    clearInterval(this.timer);
    const closing = [...this.listeners.values()];
    this.listeners.clear();
    for (const onClosed of closing) onClosed();
  }

  /** One look at a time; a look asked for meanwhile runs right after. */
  private look(): void {
    if (this.listeners.size === 0 || this.cursor === undefined) return;
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.read()
      .catch((err: unknown) => this.logger.warn({ err }, 'could not read the event log'))
      .finally(() => {
        this.looking = undefined;
        if (this.again) {
          this.again = false;
          this.look();
        }
      });
  }

  private async read(): Promise<void> {
    const from = Math.max(0, (this.cursor ?? 0) - LOOKBACK);
    const events = (await this.log.read({ afterId: from, limit: PAGE })).filter(
      (e) => !this.delivered.has(e.id),
    );
    const fresh = events.filter((e) => e.id > this.floor);
    if (fresh.length === 0) return;
    for (const event of fresh) this.delivered.add(event.id);
    this.cursor = Math.max(this.cursor ?? 0, ...fresh.map((e) => e.id));
    // Ids at or below the window's floor will never be read again.
    for (const id of this.delivered) if (id <= this.cursor - LOOKBACK) this.delivered.delete(id);
    for (const listener of this.listeners.keys()) listener(fresh);
    if (events.length === PAGE) this.again = true;
  }
}
