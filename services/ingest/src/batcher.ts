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
export class Batcher<T> {
  private readonly queues = new Map<string, Queue<T>>();

  /**
   * `send` resolves true once the batch is taken (false if it was not) and must not reject:
   * what it cannot send it reports itself.
   */
  constructor(
    private readonly send: (key: string, items: T[]) => Promise<boolean>,
    private readonly limits: BatchLimits,
    private readonly sizeOf: (item: T) => number,
  ) {}

  /** Resolves with the outcome of the batch the item went out in. */
  add(key: string, item: T): Promise<boolean> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { key, waiting: [], inFlight: 0, scheduled: false };
      this.queues.set(key, queue);
    }
    const added = new Promise<boolean>((resolve) => queue.waiting.push({ item, resolve }));
    this.schedule(queue);
    return added;
  }

  /** Flushes on the next turn, so that items added in the same turn share a batch. */
  private schedule(queue: Queue<T>): void {
    if (queue.scheduled || queue.inFlight >= this.limits.maxInFlight) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      while (queue.waiting.length > 0 && queue.inFlight < this.limits.maxInFlight) {
        void this.sendBatch(queue, this.take(queue.waiting));
      }
    });
  }

  private async sendBatch(queue: Queue<T>, batch: Waiting<T>[]): Promise<void> {
    queue.inFlight += 1;
    let sent = false;
    try {
      sent = await this.send(
        queue.key,
        batch.map((w) => w.item),
      );
    } finally {
      queue.inFlight -= 1;
      for (const waiting of batch) waiting.resolve(sent);
      if (queue.waiting.length > 0) this.schedule(queue);
    }
  }

  private take(waiting: Waiting<T>[]): Waiting<T>[] {
    let count = 0;
    let bytes = 0;
    while (count < waiting.length && count < this.limits.maxItems) {
      const size = this.sizeOf((waiting[count] as Waiting<T>).item);
      if (count > 0 && bytes + size > this.limits.maxBytes) break;
      bytes += size;
      count += 1;
    }
    return waiting.splice(0, count);
  }
}

interface Queue<T> {
  key: string;
  waiting: Waiting<T>[];
  inFlight: number;
  /** A flush is due on the next turn. */
  scheduled: boolean;
}

interface Waiting<T> {
  item: T;
  resolve: (sent: boolean) => void;
}
