/** How to write one row (an object or a part) inside a transaction. */
export interface RowWrite<R> {
  /** Reads the current row, locking it (`FOR UPDATE`) until the transaction ends. */
  lock(): Promise<R | undefined>;
  /** False when the write must not happen over `current` (a failed condition). */
  allowed(current: R | undefined): boolean;
  /** Replaces the locked row. */
  update(): Promise<unknown>;
  /** Inserts the row unless one exists (`ON CONFLICT DO NOTHING`); true when it did. */
  insert(): Promise<boolean>;
}

export type RowWritten<R> = { written: true; replaced: R | undefined } | { written: false };

/**
 * Writes a row and returns the one it replaced, race-free across instances: an existing row is
 * locked before its condition is checked, so two conditional writes cannot both see it; when
 * there is none, two inserts meet at the primary key, where ON CONFLICT waits for the other
 * transaction, and the loser reads again (READ COMMITTED shows it the winner's row) and checks
 * its condition against that. So every replaced row reaches exactly one writer, whose caller
 * deletes what it pointed at.
 */
export async function writeRow<R>(write: RowWrite<R>): Promise<RowWritten<R>> {
  for (;;) {
    const current = await write.lock();
    if (!write.allowed(current)) return { written: false };
    if (current !== undefined) {
      await write.update();
      return { written: true, replaced: current };
    }
    if (await write.insert()) return { written: true, replaced: undefined };
  }
}
