import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sweepOrphanBlobs } from '../../services/ingest/src/main-copies/orphan-sweep.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { silentLogger } from '../../shared/src/logger.ts';

let dir = '';
let store: SqliteMetadataStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfr-sweep-'));
  store = new SqliteMetadataStore(join(dir, 'metadata.db'));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

it('the orphan sweep removes main copies no file owns, and keeps the others', async () => {
  const blobs = new TieredBlobStore(join(dir, 'data'));
  await blobs.open();
  const owned = await blobs.put(randomUUID(), Readable.from([Buffer.from('owned')]));
  const file = { id: owned.id, name: 'a', sha256: owned.sha256, size: owned.size, createdAt: owned.storedAt };
  await store.addFiles([{ file, nodes: ['node1'], target: 1 }], 0);
  const orphan = await blobs.put(randomUUID(), Readable.from([Buffer.from('never committed')]));
  expect(await sweepOrphanBlobs(blobs, store, silentLogger(), 0)).toBe(1);
  expect(await blobs.get(orphan.id)).toBeUndefined();
  expect(await blobs.get(owned.id)).toBeDefined();
});
