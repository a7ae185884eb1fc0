import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteMetadataStore } from '../../services/ingest/src/sqlite-metadata-store.ts';

/** The files table as it was before content types were kept. */
const OLD_SCHEMA = `
CREATE TABLE files (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL, deleted_at TEXT);`;

const file = (contentType?: string) => ({
  id: randomUUID(),
  name: 'a.txt',
  size: 1,
  sha256: 'a'.repeat(64),
  createdAt: new Date().toISOString(),
  ...(contentType ? { contentType } : {}),
});

describe('content types in the metadata store', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-sqlite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens a database from before content types, keeping its files', () => {
    const path = join(dir, 'metadata.db');
    const old = new Database(path);
    old.exec(OLD_SCHEMA);
    const before = file();
    old
      .prepare('INSERT INTO files (id, name, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(before.id, before.name, before.size, before.sha256, before.createdAt);
    old.close();

    const store = new SqliteMetadataStore(path);
    expect(store.getFile(before.id)).toMatchObject({ id: before.id, name: 'a.txt' });
    expect(store.getFile(before.id)?.contentType).toBeUndefined();
    const after = file('image/png');
    store.addFile(after, ['node1']);
    expect(store.getFile(after.id)?.contentType).toBe('image/png');
    store.close();

    // Opening again finds the column already there.
    const reopened = new SqliteMetadataStore(path);
    expect(reopened.listFiles(10).files.map((f) => f.contentType)).toEqual(['image/png', undefined]);
    reopened.close();
  });
});
