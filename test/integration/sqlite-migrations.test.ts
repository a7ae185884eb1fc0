import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';

/** The tables as the first release wrote them: no content types, no attempts, no versions. */
const FIRST_SCHEMA = `
CREATE TABLE files (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL, deleted_at TEXT);
CREATE TABLE replicas (file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE, node TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'stored', 'failed', 'deleting')), sha256 TEXT, size INTEGER,
  stored_at TEXT, reason TEXT, published_at INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (file_id, node)) WITHOUT ROWID;
CREATE INDEX replicas_outbox ON replicas (state, published_at);`;

describe('SQLite migrations', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-sqlite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adopts a database of the first release, keeping its files and its outbox', async () => {
    const path = join(dir, 'metadata.db');
    const old = new Database(path);
    old.exec(FIRST_SCHEMA);
    const id = randomUUID();
    old
      .prepare('INSERT INTO files (id, name, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, 'a.txt', 1, 'a'.repeat(64), new Date().toISOString());
    old
      .prepare("INSERT INTO replicas (file_id, node, state, published_at) VALUES (?, 'node1', 'pending', 5)")
      .run(id);
    old.close();

    const store = new SqliteMetadataStore(path);
    expect(await store.getFile(id)).toMatchObject({
      id,
      name: 'a.txt',
      nodes: [{ node: 'node1', state: 'pending' }],
    });
    expect((await store.getFile(id))?.contentType).toBeUndefined();
    expect((await store.claimDue(Date.now(), 10, Date.now() + 1000)).map((c) => c.file.id)).toEqual([id]);
    const after = {
      id: randomUUID(),
      name: 'b.png',
      size: 1,
      sha256: 'a'.repeat(64),
      createdAt: new Date().toISOString(),
    };
    await store.addFiles([{ file: { ...after, contentType: 'image/png' }, nodes: ['node1'] }], 0);
    await store.close();

    // Opening again applies nothing twice.
    const reopened = new SqliteMetadataStore(path);
    expect((await reopened.listFiles(10)).files.map((f) => f.contentType)).toEqual(['image/png', undefined]);
    await reopened.close();
    const raw = new Database(path);
    expect(raw.prepare("SELECT version FROM migrations WHERE component = 'metadata'").pluck().all()).toEqual([
      1, 2, 3,
    ]);
    raw.close();
  });
});
