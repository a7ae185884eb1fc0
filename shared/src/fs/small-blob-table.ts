import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import Database from 'better-sqlite3';
import type { BlobRecord, ByteRange, BytesToPut } from './blob-store.ts';
import { checkedReceipt, digestOf } from './receipts.ts';
import { VerifyingStream } from './verifying-stream.ts';

/** Rows listed per query: `list` must not hold a statement open across its awaits. */
const LIST_PAGE = 500;
/** Free pages (16 KiB each) kept for new rows before deletes give space back to the filesystem. */
const FREE_PAGES_KEPT = 256;

interface Row {
  id: string;
  sha256: string;
  size: number;
  stored_at: string;
  name: string | null;
  content_type: string | null;
  stored_bytes: number;
}

const RECEIPT_COLUMNS = 'id, sha256, size, stored_at, name, content_type, length(bytes) AS stored_bytes';

/**
 * Small blobs as rows of one SQLite table (`small.db` in the store): a batch of copies is one
 * transaction, so it costs one WAL append and one fsync however many files it holds, where a
 * file per copy costs two file creations, two fsyncs and a directory sync each. WAL with
 * `synchronous = FULL`: a commit has returned only once it is on disk. Several processes of a
 * node may share the table (SQLite locks, a busy timeout). Rows are read whole into memory,
 * which is why only files up to the small threshold live here.
 */
type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  return {
    db,
    insert: db.prepare(
      `INSERT OR REPLACE INTO blobs (id, sha256, size, stored_at, name, content_type, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    receipt: db.prepare(`SELECT ${RECEIPT_COLUMNS} FROM blobs WHERE id = ?`),
    has: db.prepare('SELECT 1 FROM blobs WHERE id = ?'),
    bytes: db.prepare('SELECT bytes FROM blobs WHERE id = ?'),
    checked: db.prepare('SELECT sha256, size, bytes FROM blobs WHERE id = ?'),
    remove: db.prepare('DELETE FROM blobs WHERE id = ?'),
    page: db.prepare(`SELECT ${RECEIPT_COLUMNS} FROM blobs WHERE id > ? ORDER BY id LIMIT ${LIST_PAGE}`),
  };
}

export class SmallBlobTable {
  private statements: Statements | undefined;

  constructor(readonly path: string) {}

  /** Creates the table if needed; `readonly` opens an existing one without writing to it. */
  open(options: { readonly?: boolean } = {}): void {
    if (options.readonly) {
      this.statements = prepare(new Database(this.path, { readonly: true, fileMustExist: true }));
      return;
    }
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('busy_timeout = 10000');
    // Both only take effect on a new database: before its first table and before WAL.
    db.pragma('page_size = 16384');
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS blobs (
      id TEXT PRIMARY KEY,
      sha256 TEXT NOT NULL,
      size INTEGER NOT NULL,
      stored_at TEXT NOT NULL,
      name TEXT,
      content_type TEXT,
      bytes BLOB NOT NULL
    )`);
    this.statements = prepare(db);
  }

  close(): void {
    this.statements?.db.close();
    this.statements = undefined;
  }

  private get sql(): Statements {
    if (!this.statements) throw new Error(`the small-file table ${this.path} is not open`);
    return this.statements;
  }

  /** Stores every file that passes its checks in one transaction; one outcome per file. */
  putMany(files: readonly BytesToPut[]): (BlobRecord | Error)[] {
    const outcomes: (BlobRecord | Error)[] = files.map(({ id, bytes, options = {} }) => {
      try {
        return checkedReceipt(id, bytes, options);
      } catch (err) {
        return err as Error;
      }
    });
    const rows = outcomes.flatMap((outcome, i) => (outcome instanceof Error ? [] : [i]));
    try {
      this.insert(
        rows.map((i) => ({ record: outcomes[i] as BlobRecord, bytes: (files[i] as BytesToPut).bytes })),
      );
      return outcomes;
    } catch (err) {
      if (rows.length === 1)
        return outcomes.map((outcome) => (outcome instanceof Error ? outcome : storageError(err)));
    }
    // The group did not fit (a full disk): each file alone, so those that fit are kept.
    for (const i of rows) {
      try {
        this.insert([{ record: outcomes[i] as BlobRecord, bytes: (files[i] as BytesToPut).bytes }]);
      } catch (err) {
        outcomes[i] = storageError(err);
      }
    }
    return outcomes;
  }

  /** One transaction: every row is durable when it returns, or none is. */
  private insert(rows: readonly { record: BlobRecord; bytes: Buffer }[]): void {
    const { db, insert } = this.sql;
    db.transaction(() => {
      for (const { record, bytes } of rows) {
        const { id, sha256, size, storedAt, name, contentType } = record;
        insert.run(id, sha256, size, storedAt, name ?? null, contentType ?? null, bytes);
      }
    })();
  }

  /** The receipt of a held row whose bytes have the recorded size. */
  get(id: string): BlobRecord | undefined {
    const row = this.sql.receipt.get(id) as Row | undefined;
    return row && row.stored_bytes === row.size ? receiptOf(row) : undefined;
  }

  has(id: string): boolean {
    return this.sql.has.get(id) !== undefined;
  }

  bytes(id: string): Buffer | undefined {
    const row = this.sql.bytes.get(id) as { bytes: Buffer } | undefined;
    return row?.bytes;
  }

  /** Whether the row's bytes still match its receipt; undefined when there is no such row. */
  verify(id: string): boolean | undefined {
    const row = this.sql.checked.get(id) as { sha256: string; size: number; bytes: Buffer } | undefined;
    if (!row) return undefined;
    const digest = digestOf(row.bytes);
    return digest.sha256 === row.sha256 && digest.size === row.size;
  }

  /** The row's bytes (or the inclusive range) as a stream; undefined when there is no such row. */
  read(id: string, range?: ByteRange): Readable | undefined {
    const bytes = this.bytes(id);
    if (!bytes) return undefined;
    return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes], { objectMode: false });
  }

  /** `read`, a whole row checked as it streams (see BlobStore.readVerified). */
  readVerified(
    expected: { id: string; sha256: string; size: number },
    range: ByteRange | undefined,
    onMismatch: () => void,
  ): Readable | undefined {
    const bytes = this.read(expected.id, range);
    if (!bytes || range) return bytes;
    return pipeline(bytes, new VerifyingStream(expected, onMismatch), () => undefined);
  }

  /** Deletes the row; once enough pages are free, gives them back to the filesystem. */
  remove(id: string): void {
    const { db, remove } = this.sql;
    try {
      if (remove.run(id).changes === 0) return;
      const free = db.pragma('freelist_count', { simple: true }) as number;
      if (free > FREE_PAGES_KEPT) db.pragma(`incremental_vacuum(${free - FREE_PAGES_KEPT / 2})`);
    } catch (err) {
      throw storageError(err);
    }
  }

  /** Every held receipt, in id order, a page of rows at a time. */
  *list(): Generator<BlobRecord> {
    let after = '';
    const { page } = this.sql;
    for (;;) {
      const rows = page.all(after) as Row[];
      for (const row of rows) if (row.stored_bytes === row.size) yield receiptOf(row);
      const last = rows.at(-1);
      if (!last || rows.length < LIST_PAGE) return;
      after = last.id;
    }
  }
}

function receiptOf(row: Row): BlobRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    size: row.size,
    storedAt: row.stored_at,
    ...(row.name !== null ? { name: row.name } : {}),
    ...(row.content_type !== null ? { contentType: row.content_type } : {}),
  };
}

/**
 * SQLite's "disk full" and "read-only" as the errno a file write would have failed with, so
 * every caller classifies a full store the same whichever kind of blob hit it.
 */
function storageError(err: unknown): Error {
  const code = (err as { code?: string }).code ?? '';
  const errno = code === 'SQLITE_FULL' ? 'ENOSPC' : code.startsWith('SQLITE_READONLY') ? 'EROFS' : undefined;
  if (!errno) return err as Error;
  return Object.assign(new Error(`the small-file table cannot be written: ${code}`, { cause: err }), {
    code: errno,
  });
}
