import { EventEmitter } from 'node:events';
import type { FileStatuses } from '../cluster/file-statuses.ts';
import type { FileStatus, MetadataStore } from '../store/metadata-store.ts';

/**
 * Uploads held until their replicas are confirmed (`?wait=<n>`). Woken by the metadata store's
 * change feed, so an ack consumed by any process sharing the database wakes a waiter here.
 */
export class ReplicaWaits {
  private readonly waiting = new EventEmitter();
  private readonly unsubscribe: () => void;

  constructor(
    metadata: MetadataStore,
    private readonly statuses: Pick<FileStatuses, 'get'>,
  ) {
    this.waiting.setMaxListeners(0);
    this.unsubscribe = metadata.onChange((fileId) => this.waiting.emit(fileId));
  }

  /**
   * Resolves with the file's status once it has `wanted` verified replicas, every replica has
   * settled (none pending), or `timeoutMs` passes, whichever comes first; undefined once the file
   * is gone. Never rejects.
   */
  async waitFor(fileId: string, wanted: number, timeoutMs: number): Promise<FileStatus | undefined> {
    const done = (status: FileStatus | undefined) =>
      !status || status.replicas >= wanted || status.nodes.every((n) => n.state !== 'pending');
    const first = await this.statuses.get(fileId).catch(() => undefined);
    if (done(first)) return first;
    return new Promise((resolve) => {
      let checking = false;
      let again = false;
      let settled = false;
      const finish = async () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.waiting.off(fileId, check);
        resolve(await this.statuses.get(fileId).catch(() => undefined));
      };
      // One status read at a time; changes that arrive meanwhile ask for one more.
      const check = async () => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        do {
          again = false;
          if (settled) return;
          const status = await this.statuses.get(fileId).catch(() => undefined);
          if (done(status)) {
            await finish();
            return;
          }
        } while (again);
        checking = false;
      };
      const timer = setTimeout(() => void finish(), timeoutMs);
      this.waiting.on(fileId, check);
      // A change between the first read and the subscription would otherwise be missed.
      void check();
    });
  }

  close(): void {
    this.unsubscribe();
  }
}
