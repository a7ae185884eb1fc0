import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilePartialUploadStore } from '../../services/ingest/src/uploads/resumable/file-partial-upload-store.ts';
import type { PartialUpload } from '../../services/ingest/src/uploads/resumable/partial-upload-store.ts';
import { TooLargeError } from '../../shared/src/fs/hashing-stream.ts';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';

const newUpload = (length: number): PartialUpload => ({
  id: randomBytes(16).toString('hex'),
  length,
  offset: 0,
  name: 'file.bin',
  createdAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
});

/** The durable state of resumable uploads, on real files (the store the tus front end writes through). */
describe('FilePartialUploadStore', () => {
  let root: string;
  let blobs: TieredBlobStore;
  let store: FilePartialUploadStore;
  const folder = () => join(root, 'tus-uploads');
  const reopen = async () => {
    store = new FilePartialUploadStore(folder(), blobs.tmpDir);
    await store.open();
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfr-partial-store-'));
    blobs = new TieredBlobStore(root);
    await blobs.open();
    await reopen();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Writes `bytes` at `offset` through a write of the store; resolves with the write, ended as `end` says. */
  const writeBytes = async (
    upload: PartialUpload,
    offset: number,
    bytes: Buffer,
    end: 'keep' | 'discard',
  ) => {
    const seen: Buffer[] = [];
    const write = await store.write(upload.id, offset, {
      maxBytes: upload.length - offset,
      onWritten: (chunk) => seen.push(Buffer.from(chunk)),
    });
    const failure = await pipeline(Readable.from([bytes]), write.sink).catch((err: unknown) => err);
    await write[end]();
    return { written: write.written, seen: Buffer.concat(seen), failure };
  };

  it('creates an upload with empty bytes, and its record survives a new store on the folder', async () => {
    const upload = newUpload(10);
    await store.create(upload);
    expect((await stat(store.bytesPath(upload.id))).size).toBe(0);
    await reopen();
    expect(await store.get(upload.id)).toEqual(upload);
    const listed: PartialUpload[] = [];
    for await (const one of store.list()) listed.push(one);
    expect(listed).toEqual([upload]);
  });

  it('a kept write is in the file and seen by onWritten byte for byte; a discarded one is cut off', async () => {
    const upload = newUpload(1_000_000);
    await store.create(upload);
    const bytes = randomBytes(700_000);
    const kept = await writeBytes(upload, 0, bytes.subarray(0, 400_000), 'keep');
    expect(kept).toMatchObject({ written: 400_000, failure: undefined });
    expect(kept.seen.equals(bytes.subarray(0, 400_000))).toBe(true);
    const dropped = await writeBytes(upload, 400_000, bytes.subarray(400_000), 'discard');
    expect(dropped.written).toBe(300_000);
    expect((await readFile(store.bytesPath(upload.id))).equals(bytes.subarray(0, 400_000))).toBe(true);
  });

  it('a write starts by dropping what lies past its offset (left by a crash before the record moved)', async () => {
    const upload = newUpload(100);
    await store.create(upload);
    await writeFile(store.bytesPath(upload.id), Buffer.alloc(80, 1));
    await writeBytes(upload, 10, Buffer.alloc(5, 2), 'keep');
    const file = await readFile(store.bytesPath(upload.id));
    expect(file.equals(Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(5, 2)]))).toBe(true);
  });

  it('refuses bytes past maxBytes with TooLargeError, writing none of that chunk', async () => {
    const upload = newUpload(10);
    await store.create(upload);
    const { written, failure } = await writeBytes(upload, 0, randomBytes(11), 'discard');
    expect(failure).toBeInstanceOf(TooLargeError);
    expect(written).toBe(0);
    expect((await stat(store.bytesPath(upload.id))).size).toBe(0);
  });

  it('save replaces the record; removeBytes keeps it; remove drops both', async () => {
    const upload = newUpload(10);
    await store.create(upload);
    const saved = { ...upload, offset: 10, fileId: '0f28887d-e609-4e82-93f6-55ffc06d7354' };
    await store.save(saved);
    await store.removeBytes(upload.id);
    expect(await store.get(upload.id)).toEqual(saved);
    await store.remove(upload.id);
    expect(await store.get(upload.id)).toBeUndefined();
    expect(await readdir(folder())).toEqual([]);
  });

  it('open removes bytes whose record was never written, and ignores what is not an upload', async () => {
    const upload = newUpload(10);
    await store.create(upload);
    const orphan = randomBytes(16).toString('hex');
    await writeFile(join(folder(), orphan), 'half made');
    await reopen();
    expect((await readdir(folder())).sort()).toEqual([upload.id, `${upload.id}.json`].sort());
    expect(await store.get('../metadata.db')).toBeUndefined();
    expect(() => store.bytesPath('../metadata.db')).toThrow();
  });

  it('a hash fed by onWritten is the SHA-256 of the kept bytes even when a write is cut short', async () => {
    const upload = newUpload(300_000);
    await store.create(upload);
    const bytes = randomBytes(200_000);
    const hash = createHash('sha256');
    const write = await store.write(upload.id, 0, {
      maxBytes: upload.length,
      onWritten: (c) => hash.update(c),
    });
    const source = new Readable({
      read() {
        this.push(bytes);
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(pipeline(source, write.sink)).rejects.toThrow('connection reset');
    await write.keep();
    const file = await readFile(store.bytesPath(upload.id));
    expect(file.length).toBe(write.written);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
  });
});
