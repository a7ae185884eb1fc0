import type { Logger } from '../logger.ts';

/**
 * Work a service starts without waiting for it (a publish after a 201, a sweep, a repair), kept
 * track of so that stopping can wait for it instead of closing the database or the broker under
 * it. A failure is logged once here, with its stack, since no caller awaits it.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Starts `task` now; `what` names it in the log line if it fails. */
  run(what: string, task: () => Promise<unknown>, context: Record<string, unknown> = {}): void {
    const done: Promise<void> = Promise.resolve()
      .then(task)
      .then(
        () => undefined,
        (err: unknown) => this.logger.error({ err, ...context }, `${what} failed`),
      )
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** How many tasks are under way. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Resolves once every task started before or during the wait has settled (true), or when
   * `timeoutMs` passes first (false).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      });
      const outcome = await Promise.race([Promise.all(this.running), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') return false;
    }
    return true;
  }
}
