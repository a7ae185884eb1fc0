/** How much one batch may hold, and how many batches per key may be on their way at once. */
export interface BatchLimits {
  maxItems: number;
  /** A single item larger than this still goes, alone. */
  maxBytes: number;
  maxInFlight: number;
}

/**
 * Sends items in batches per key. An item goes out on the next turn of the event loop if fewer
 * than `maxInFlight` batches of its key are on their way; otherwise it waits and joins the next
 * batch. So an idle key sends at once, and under load batches grow by themselves.
 */
export class Batcher<T, R> {
  private readonly queues = new Map<string, Queue<T, R>>();

  /** `send` resolves with one outcome per item, in order; if it rejects, so does every item's `add`. */
  constructor(
    private readonly send: (key: string, items: T[]) => Promise<R[]>,
    private readonly limits: BatchLimits,
    private readonly sizeOf: (item: T) => number,
  ) {}

  /** Resolves with the item's outcome once the batch it went out in is done. */
  add(key: string, item: T): Promise<R> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { key, waiting: [], inFlight: 0, scheduled: false };
      this.queues.set(key, queue);
    }
    const added = new Promise<R>((resolve, reject) => queue.waiting.push({ item, resolve, reject }));
    this.schedule(queue);
    return added;
  }

  /** Flushes on the next turn, so that items added in the same turn share a batch. */
  private schedule(queue: Queue<T, R>): void {
    if (queue.scheduled || queue.inFlight >= this.limits.maxInFlight) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      while (queue.waiting.length > 0 && queue.inFlight < this.limits.maxInFlight) {
        void this.sendBatch(queue, this.take(queue.waiting));
      }
    });
  }

  private async sendBatch(queue: Queue<T, R>, batch: Waiting<T, R>[]): Promise<void> {
    queue.inFlight += 1;
    try {
      const outcomes = await this.send(
        queue.key,
        batch.map((w) => w.item),
      );
      for (const [i, waiting] of batch.entries()) {
        if (i < outcomes.length) waiting.resolve(outcomes[i] as R);
        else
          waiting.reject(
            new Error(`batch send returned ${outcomes.length} outcomes for ${batch.length} items`),
          );
      }
    } catch (err) {
      for (const waiting of batch) waiting.reject(err);
    } finally {
      queue.inFlight -= 1;
      if (queue.waiting.length > 0) this.schedule(queue);
    }
  }

  private take(waiting: Waiting<T, R>[]): Waiting<T, R>[] {
    let count = 0;
    let bytes = 0;
    while (count < waiting.length && count < this.limits.maxItems) {
      const size = this.sizeOf((waiting[count] as Waiting<T, R>).item);
      if (count > 0 && bytes + size > this.limits.maxBytes) break;
      bytes += size;
      count += 1;
    }
    return waiting.splice(0, count);
  }
}

interface Queue<T, R> {
  key: string;
  waiting: Waiting<T, R>[];
  inFlight: number;
  /** A flush is due on the next turn. */
  scheduled: boolean;
}

interface Waiting<T, R> {
  item: T;
  resolve: (outcome: R) => void;
  reject: (err: unknown) => void;
}
