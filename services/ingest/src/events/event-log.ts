import { EventEmitter } from 'node:events';
import { Batcher } from '../../../../shared/src/batcher.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { EventQuery, EventStore, NewEvent, StoredEvent } from '../store/event-store.ts';
import type { ClusterChange } from './event-types.ts';

/** One append at a time; what arrives meanwhile goes in the next, however much. */
const APPEND_LIMITS = { maxItems: 1_000, maxBytes: Number.POSITIVE_INFINITY, maxInFlight: 1 };
/** How often the log is cut back to its bound. */
const TRIM_EVERY_MS = 60_000;

/**
 * The services' way to the event log: events recorded in the same turn of the event loop are
 * appended in one transaction, so a batch of 64 small files costs one write, not 192. Recording
 * never fails the change it describes: an event that cannot be written is logged and dropped
 * (the state in the metadata is the truth; the log is its story). Bounded to `keep` events.
 */
export class EventLog {
  private readonly appended = new EventEmitter();
  private readonly pending = new Set<Promise<void>>();
  private readonly batches: Batcher<NewEvent, undefined>;
  private trimmer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly keep: number,
  ) {
    this.appended.setMaxListeners(0);
    this.batches = new Batcher(
      async (_key, events) => {
        await this.store.append(events);
        this.appended.emit('appended');
        return events.map(() => undefined);
      },
      APPEND_LIMITS,
      () => 0,
    );
  }

  /** Records an event; resolves once it is in the log (or was dropped). Never rejects. */
  record(change: ClusterChange): Promise<void> {
    const event: NewEvent = { ...change, at: change.at ?? new Date().toISOString() };
    const done = this.batches.add('events', event).then(
      () => undefined,
      (err: unknown) =>
        this.logger.warn({ err, type: event.type, fileId: event.fileId }, 'could not record an event'),
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return done;
  }

  read(query: EventQuery): Promise<StoredEvent[]> {
    return this.store.read(query);
  }

  lastId(): Promise<number> {
    return this.store.lastId();
  }

  /** Calls `listener` after each append by this process (other processes' are found by polling). */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  start(): void {
    this.trimmer = setInterval(() => {
      this.store
        .trim(this.keep)
        .catch((err: unknown) => this.logger.warn({ err }, 'could not trim the event log'));
    }, TRIM_EVERY_MS);
    this.trimmer.unref();
  }

  /** Stops trimming and waits for the events recorded so far to be written. */
  async stop(): Promise<void> {
    clearInterval(this.trimmer);
    await Promise.all(this.pending);
  }
}
