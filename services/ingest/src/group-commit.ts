import type { FileRecord, MetadataStore } from './metadata-store.ts';

interface Admission {
  file: FileRecord;
  nodes: readonly string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Records uploaded files the way a database group-commits: the files whose uploads finish in
 * the same turn of the event loop go into one transaction with one fsync, instead of one fsync
 * each with the event loop blocked. Each caller still learns only once its own file is durable.
 */
export class GroupCommit {
  private waiting: Admission[] = [];

  constructor(private readonly metadata: MetadataStore) {}

  /** Resolves once the file's row and its replica rows are committed and fsynced. */
  addFile(file: FileRecord, nodes: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ file, nodes, resolve, reject });
      if (this.waiting.length === 1) setImmediate(() => this.commit());
    });
  }

  private commit(): void {
    const batch = this.waiting;
    this.waiting = [];
    try {
      this.metadata.addFiles(batch);
      for (const admission of batch) admission.resolve();
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      // One bad file must not fail the others: commit them one by one.
      for (const admission of batch) {
        try {
          this.metadata.addFiles([admission]);
          admission.resolve();
        } catch (one) {
          admission.reject(one);
        }
      }
    }
  }
}
