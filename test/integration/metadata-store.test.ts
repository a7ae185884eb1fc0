import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileRecord } from '../../services/ingest/src/metadata-store.ts';
import { sweepOrphanBlobs } from '../../services/ingest/src/orphan-sweep.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/sqlite-metadata-store.ts';
import { BlobStore } from '../../shared/src/fs/blob-store.ts';
import { silentLogger } from '../../shared/src/logger.ts';

const NODES = ['node1', 'node2', 'node3'];
const POLICY = { republishAfterMs: 1000, republishMaxMs: 8000, retryFailedAfterMs: 60_000 };
/** Commands due `msFromNow` from now under POLICY. */
const dueAt = (store: SqliteMetadataStore, msFromNow = 0) =>
  store.dueCommands(Date.now() + msFromNow, 10, POLICY);
const SHA = 'a'.repeat(64);

describe('SqliteMetadataStore', () => {
  let dir: string;
  let store: SqliteMetadataStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-meta-'));
    store = new SqliteMetadataStore(join(dir, 'metadata.db'));
  });

  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const file = (overrides: Partial<FileRecord> = {}): FileRecord => ({
    id: randomUUID(),
    name: 'a.bin',
    size: 10,
    sha256: SHA,
    createdAt: new Date().toISOString(),
    ...overrides,
  });
  const stored = (f: FileRecord, node: string, sha256 = f.sha256) => ({
    fileId: f.id,
    node,
    sha256,
    size: f.size,
    storedAt: new Date().toISOString(),
  });

  it('counts only replicas whose reported SHA-256 matches, and is idempotent about repeats', () => {
    const f = file();
    store.addFile(f, NODES);
    expect(store.getFile(f.id)).toMatchObject({ replicas: 0, target: 3 });
    expect(store.recordStored(stored(f, 'node1'))).toBe('stored');
    expect(store.recordStored(stored(f, 'node1'))).toBe('stored');
    expect(store.recordStored(stored(f, 'node2', 'b'.repeat(64)))).toBe('mismatch');
    expect(store.recordStored(stored(f, 'node9'))).toBe('ignored');
    const status = store.getFile(f.id);
    expect(status?.replicas).toBe(1);
    expect(status?.nodes.map((n) => n.state)).toEqual(['stored', 'pending', 'pending']);
  });

  it('keeps the outbox: pending and deleting replicas are due until answered, with a doubling delay', () => {
    const f = file();
    store.addFile(f, NODES);
    expect(dueAt(store)).toHaveLength(3);
    store.markPublished([f.id], 'node1', Date.now());
    expect(dueAt(store).map((c) => c.node)).toEqual(['node2', 'node3']);
    store.recordStored(stored(f, 'node2'));
    expect(dueAt(store).map((c) => c.node)).toEqual(['node3']);
    expect(dueAt(store, 1500).map((c) => c.node)).toEqual(['node3', 'node1']);
    store.markPublished([f.id], 'node1', Date.now());
    expect(dueAt(store, 1500).map((c) => c.node)).toEqual(['node3']);
    expect(dueAt(store, 2500).map((c) => c.node)).toEqual(['node3', 'node1']);
    for (let i = 0; i < 10; i++) store.markPublished([f.id], 'node1', Date.now());
    expect(dueAt(store, 7000).map((c) => c.node)).toEqual(['node3']);
    expect(dueAt(store, 8500).map((c) => c.node)).toEqual(['node3', 'node1']);
    expect(store.markDeleting(f.id)).toEqual(NODES);
    expect(dueAt(store).map((c) => [c.kind, c.node])).toEqual(NODES.map((n) => ['delete', n]));
  });

  it('records a batch of reports and publish times like one call each, in one go', () => {
    const [a, b] = [file(), file()];
    const gone = file();
    store.addFiles([a, b].map((f) => ({ file: f, nodes: NODES })));
    store.markPublished([a.id, b.id, gone.id], 'node1', Date.now());
    const due = dueAt(store).map((c) => `${c.file.id} ${c.node}`);
    expect(due.sort()).toEqual([a, b].flatMap((f) => [`${f.id} node2`, `${f.id} node3`]).sort());
    const outcomes = store.recordStoredMany([
      stored(a, 'node1'),
      stored(b, 'node1', 'b'.repeat(64)),
      stored(gone, 'node1'),
      stored(a, 'node2'),
    ]);
    expect(outcomes).toEqual(['stored', 'mismatch', 'ignored', 'stored']);
    expect(store.getFile(a.id)?.replicas).toBe(2);
    expect(store.getFile(b.id)?.replicas).toBe(0);
    expect(store.recordStoredMany([])).toEqual([]);
  });

  it('forgets a deleted file once every node confirmed, and ignores late acks for it', () => {
    const f = file();
    store.addFile(f, NODES);
    store.markDeleting(f.id);
    expect(store.getFile(f.id)).toBeUndefined();
    expect(store.markDeleting(f.id)).toBeUndefined();
    expect(store.recordStored(stored(f, 'node1'))).toBe('ignored');
    for (const node of NODES) store.recordDeleted(f.id, node);
    expect(dueAt(store)).toEqual([]);
  });

  it('a lost replica is owed again at once; a failed one only after the failed-retry delay', () => {
    const f = file();
    store.addFile(f, NODES);
    for (const node of NODES) store.markPublished([f.id], node, Date.now());
    store.recordStored(stored(f, 'node1'));
    expect(store.recordFailed(f.id, 'node2', 'disk full')).toBe(true);
    expect(store.recordLost(f.id, 'node1', 'scrub')).toBe(true);
    expect(store.getFile(f.id)?.nodes.map((n) => n.state)).toEqual(['pending', 'failed', 'pending']);
    expect(dueAt(store).map((c) => c.node)).toEqual(['node1']);
    expect(dueAt(store, 61_000).map((c) => c.node)).toContain('node2');
    expect(store.recordStored(stored(f, 'node2'))).toBe('stored');
    expect(store.getFile(f.id)?.nodes.map((n) => n.state)).toEqual(['pending', 'stored', 'pending']);
  });

  it('lists newest first in pages that neither skip nor repeat', () => {
    const ids = Array.from({ length: 7 }, () => {
      const f = file();
      store.addFile(f, NODES);
      return f.id;
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.listFiles(3, cursor);
      seen.push(...page.files.map((f) => f.id));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    for (const listed of store.listFiles(10).files) {
      expect(listed.nodes.map((n) => n.node)).toEqual(NODES);
      expect(listed).toEqual(store.getFile(listed.id));
    }
  });

  it('survives reopening: what was committed is there', () => {
    const f = file();
    store.addFile(f, NODES);
    store.close();
    store = new SqliteMetadataStore(join(dir, 'metadata.db'));
    expect(store.getFile(f.id)?.id).toBe(f.id);
  });

  it('the orphan sweep removes main copies no file owns, and keeps the others', async () => {
    const blobs = new BlobStore(join(dir, 'data'));
    await blobs.open();
    const owned = await blobs.put(randomUUID(), Readable.from([Buffer.from('owned')]));
    store.addFile(file({ id: owned.id, sha256: owned.sha256, size: owned.size }), NODES);
    const orphan = await blobs.put(randomUUID(), Readable.from([Buffer.from('never committed')]));
    expect(await sweepOrphanBlobs(blobs, store, silentLogger(), 0)).toBe(1);
    expect(await blobs.get(orphan.id)).toBeUndefined();
    expect(await blobs.get(owned.id)).toBeDefined();
  });
});
