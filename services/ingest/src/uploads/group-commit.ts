import { Batcher } from '../../../../shared/src/batcher.ts';
import { asError } from '../../../../shared/src/errors.ts';
import type { MetadataStore, NewFile } from '../store/metadata-store.ts';

interface Admission {
  entry: NewFile;
  commandsDueAtMs: number;
}

/**
 * One commit at a time: the files that arrive while it runs wait and go together in the next,
 * however many, so the number of fsyncs stays flat as uploads grow.
 */
const COMMIT_LIMITS = {
  maxItems: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
  maxInFlight: 1,
};

/**
 * Records uploaded files the way a database group-commits: the files whose uploads finish in
 * the same turn of the event loop, or while the previous commit runs, go into one transaction
 * with one fsync. Each caller still learns only once its own file is durable.
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
  async addFile(entry: NewFile, commandsDueAtMs: number): Promise<void> {
    const failure = await this.batches.add('files', { entry, commandsDueAtMs });
    if (failure) throw failure;
  }

  private async commit(admissions: Admission[]): Promise<(Error | undefined)[]> {
    // The latest due time of the batch: no command of it goes out before its own lease ends.
    const dueAtMs = Math.max(...admissions.map((a) => a.commandsDueAtMs));
    try {
      await this.metadata.addFiles(
        admissions.map((a) => a.entry),
        dueAtMs,
      );
      return admissions.map(() => undefined);
    } catch (err) {
      if (admissions.length === 1) return [asError(err)];
      // One bad file must not fail the others: commit them one by one.
      return Promise.all(
        admissions.map(async (admission) => {
          try {
            await this.metadata.addFiles([admission.entry], admission.commandsDueAtMs);
            return undefined;
          } catch (one) {
            return asError(one);
          }
        }),
      );
    }
  }
}
