import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SmallFileWriter } from '../../services/ingest/src/uploads/small-file-writer.ts';
import { IntegrityError } from '../../shared/src/fs/atomic-write.ts';
import { BlobStore } from '../../shared/src/fs/blob-store.ts';
import { TooLargeError } from '../../shared/src/fs/hashing-stream.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('SmallFileWriter', () => {
  let root: string;
  let store: BlobStore;
  let writer: SmallFileWriter;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfr-small-file-writer-'));
    store = new BlobStore(root);
    await store.open();
    writer = new SmallFileWriter(store);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores files that arrive together, each with its receipt and its own bytes', async () => {
    const files = Array.from({ length: 100 }, (_, i) => ({
      id: randomUUID(),
      bytes: Buffer.from(`file ${i}`),
    }));
    const records = await Promise.all(
      files.map(({ id, bytes }, i) =>
        writer.put(id, bytes, { name: `f${i}.txt`, contentType: 'text/plain' }),
      ),
    );
    for (const [i, { id, bytes }] of files.entries()) {
      expect(records[i]).toMatchObject({ id, size: bytes.length, sha256: sha256(bytes), name: `f${i}.txt` });
      expect(await readFile(store.blobPath(id))).toEqual(bytes);
      expect(await store.get(id)).toEqual(records[i]);
    }
  });

  it('fails only the file that does not match, and stores nothing of it', async () => {
    const good = { id: randomUUID(), bytes: Buffer.from('good') };
    const bad = { id: randomUUID(), bytes: Buffer.from('bad') };
    const big = { id: randomUUID(), bytes: Buffer.alloc(10) };
    const outcomes = await Promise.allSettled([
      writer.put(good.id, good.bytes),
      writer.put(bad.id, bad.bytes, { expectedSha256: sha256(Buffer.from('other')) }),
      writer.put(big.id, big.bytes, { maxBytes: 5 }),
    ]);
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { id: good.id } });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(IntegrityError) });
    expect(outcomes[2]).toMatchObject({ status: 'rejected', reason: expect.any(TooLargeError) });
    expect(await store.get(bad.id)).toBeUndefined();
    expect(await store.get(big.id)).toBeUndefined();
    expect(await store.get(good.id)).toMatchObject({ id: good.id });
  });
});
