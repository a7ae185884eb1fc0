import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Ways a copy rots or a crash leaves it, done to a store's files from outside, as a disk would. */
export interface BlobDamage {
  /** Flips the first byte of the copy. */
  corrupt(id: string): Promise<void>;
  /** Cuts the copy to its first `bytes` bytes. */
  truncate(id: string, bytes: number): Promise<void>;
}

/** Damage to a copy kept as a plain file under `<root>/blobs/`. */
export function plainFileDamage(root: string): BlobDamage {
  const path = (id: string) => join(root, 'blobs', id.slice(0, 2), id);
  return {
    async corrupt(id) {
      const handle = await open(path(id), 'r+');
      const first = Buffer.alloc(1);
      await handle.read(first, 0, 1, 0);
      await handle.write(Buffer.from([(first[0] ?? 0) ^ 0xff]), 0, 1, 0);
      await handle.close();
    },
    async truncate(id, bytes) {
      const handle = await open(path(id), 'r+');
      await handle.truncate(bytes);
      await handle.close();
    },
  };
}

/** Damage to a copy kept as a row of `<root>/small.db`, through a connection of its own. */
export function smallTableDamage(root: string): BlobDamage {
  const update = (id: string, change: (bytes: Buffer) => Buffer) => {
    const db = new Database(join(root, 'small.db'));
    try {
      const row = db.prepare('SELECT bytes FROM blobs WHERE id = ?').get(id) as { bytes: Buffer } | undefined;
      if (!row) throw new Error(`no row for ${id}`);
      db.prepare('UPDATE blobs SET bytes = ? WHERE id = ?').run(change(row.bytes), id);
    } finally {
      db.close();
    }
  };
  return {
    async corrupt(id) {
      update(id, (bytes) => {
        const copy = Buffer.from(bytes);
        copy[0] = (copy[0] ?? 0) ^ 0xff;
        return copy;
      });
    },
    async truncate(id, bytes) {
      update(id, (old) => old.subarray(0, bytes));
    },
  };
}

/** Damage wherever the copy is: a row when the table has it, else a plain file. */
export function anyKindDamage(root: string): BlobDamage {
  const table = smallTableDamage(root);
  const plain = plainFileDamage(root);
  const inTable = (id: string) => {
    const db = new Database(join(root, 'small.db'), { fileMustExist: true });
    try {
      return db.prepare('SELECT 1 FROM blobs WHERE id = ?').get(id) !== undefined;
    } finally {
      db.close();
    }
  };
  return {
    corrupt: (id) => (inTable(id) ? table.corrupt(id) : plain.corrupt(id)),
    truncate: (id, bytes) => (inTable(id) ? table.truncate(id, bytes) : plain.truncate(id, bytes)),
  };
}

/** For tests that need a blob without a receipt: as a crash between the two writes leaves it. */
export async function dropPlainReceipt(root: string, id: string): Promise<void> {
  await rm(join(root, 'blobs', id.slice(0, 2), `${id}.json`));
}

interface SmallRow {
  id: string;
  sha256: string;
  size: number;
  stored_at: string;
  name: string | null;
  content_type: string | null;
  bytes: Buffer;
}

function withTable<T>(root: string, work: (db: Database.Database) => T): T {
  const db = new Database(join(root, 'small.db'), { fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/**
 * A copy taken out of a store behind its back, whichever kind it is, and put back the same way:
 * what an operator's `rm`/`cp`, or a disk that lost and regained a file, does.
 */
export interface SavedCopy {
  restore(): Promise<void>;
}

export async function takeCopyOut(root: string, id: string): Promise<SavedCopy> {
  const row = withTable(
    root,
    (db) => db.prepare('SELECT * FROM blobs WHERE id = ?').get(id) as SmallRow | undefined,
  );
  if (row) {
    withTable(root, (db) => db.prepare('DELETE FROM blobs WHERE id = ?').run(id));
    return {
      async restore() {
        withTable(root, (db) =>
          db
            .prepare(
              'INSERT OR REPLACE INTO blobs (id, sha256, size, stored_at, name, content_type, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
            )
            .run(row.id, row.sha256, row.size, row.stored_at, row.name, row.content_type, row.bytes),
        );
      },
    };
  }
  const blob = join(root, 'blobs', id.slice(0, 2), id);
  const [bytes, receipt] = await Promise.all([readFile(blob), readFile(`${blob}.json`)]);
  await rm(`${blob}.json`);
  await rm(blob);
  return {
    async restore() {
      await writeFile(blob, bytes);
      await writeFile(`${blob}.json`, receipt);
    },
  };
}

/** Every small copy of a store gone, as if its table had been emptied by hand. */
export function dropAllSmallCopies(root: string): void {
  withTable(root, (db) => db.prepare('DELETE FROM blobs').run());
}
