import { open, rm } from 'node:fs/promises';
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
