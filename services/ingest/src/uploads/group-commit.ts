import { asError } from '../../../shared/src/errors.ts';
import { Batcher } from './batcher.ts';
import type { FileRecord, MetadataStore } from './metadata-store.ts';

interface Admission {
  file: FileRecord;
  nodes: readonly string[];
}

/**
 * The commit is synchronous, so one is never in flight when the next turn comes: every turn's
 * files go together, however many.
 */
const COMMIT_LIMITS = {
  maxItems: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
  maxInFlight: 1,
};

/**
 * Records uploaded files the way a database group-commits: the files whose uploads finish in
 * the same turn of the event loop go into one transaction with one fsync, instead of one fsync
 * each with the event loop blocked. Each caller still learns only once its own file is durable.
 */
export class GroupCommit {
  private readonly batches: Batcher<Admission, Error | undefined>;

  constructor(private readonly metadata: MetadataStore) {
    this.batches = new Batcher(
      async (_key, admissions) => this.commit(admissions),
      COMMIT_LIMITS,
      () => 0,
    );
  }

  /** Resolves once the file's row and its replica rows are committed and fsynced. */
  async addFile(file: FileRecord, nodes: readonly string[]): Promise<void> {
    const failure = await this.batches.add('files', { file, nodes });
    if (failure) throw failure;
  }

  private commit(admissions: Admission[]): (Error | undefined)[] {
    try {
      this.metadata.addFiles(admissions);
      return admissions.map(() => undefined);
    } catch (err) {
      if (admissions.length === 1) return [asError(err)];
      // One bad file must not fail the others: commit them one by one.
      return admissions.map((admission) => {
        try {
          this.metadata.addFiles([admission]);
          return undefined;
        } catch (one) {
          return asError(one);
        }
      });
    }
  }
}
