/**
 * One request at a time per upload, in this process: a request that finds its upload taken is
 * refused rather than queued (see docs/decisions/0015-tus-protocol-in-house.md). The lock lives
 * in memory because an upload's bytes live in one instance's data directory, which only that
 * instance writes.
 */
export class UploadLocks {
  private readonly held = new Map<string, Promise<void>>();

  /** The release function, or undefined when another request holds the upload. */
  tryAcquire(id: string): (() => void) | undefined {
    if (this.held.has(id)) return undefined;
    let release = () => {};
    this.held.set(
      id,
      new Promise<void>((resolve) => {
        release = () => {
          this.held.delete(id);
          resolve();
        };
      }),
    );
    return release;
  }

  isHeld(id: string): boolean {
    return this.held.has(id);
  }

  /** Resolves true once `id` is not held (it may be taken again at once), or false after `timeoutMs`. */
  whenFree(id: string, timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => {
      const lock = this.held.get(id);
      return lock ? [lock] : [];
    }, timeoutMs);
  }

  /** Resolves true once no upload is held, or false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => [...this.held.values()], timeoutMs);
  }

  private async waitUntil(holding: () => Promise<void>[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let locks = holding(); locks.length > 0; locks = holding()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      });
      await Promise.race([Promise.all(locks), timedOut]);
      clearTimeout(timer);
    }
    return true;
  }
}
