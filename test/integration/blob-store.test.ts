import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../shared/src/fs/atomic-write.ts';
import { type BlobRecord, BlobStore } from '../../shared/src/fs/blob-store.ts';
import { TooLargeError } from '../../shared/src/fs/hashing-stream.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Every file under dir, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

async function listAll(store: BlobStore): Promise<BlobRecord[]> {
  const records: BlobRecord[] = [];
  for await (const record of store.list()) records.push(record);
  return records;
}

/** A source that yields some bytes, then fails like a dropped connection. */
function failingSource(): Readable {
  return new Readable({
    read() {
      this.push(Buffer.from('partial'));
      this.destroy(new Error('connection reset'));
    },
  });
}

describe('BlobStore', () => {
  let root: string;
  let store: BlobStore;
  const content = Buffer.from('hello, replicated world\n');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfr-blob-store-'));
    store = new BlobStore(root);
    await store.open();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('puts a verified blob with its receipt, then gets, reads, verifies, lists and removes it', async () => {
    const id = randomUUID();
    const record = await store.put(id, Readable.from([content]), {
      expectedSha256: sha256(content),
      expectedSize: content.length,
      name: 'greeting.txt',
    });
    expect(record).toMatchObject({ id, sha256: sha256(content), size: content.length, name: 'greeting.txt' });
    expect(new Date(record.storedAt).getTime()).not.toBeNaN();

    expect(await store.get(id)).toEqual(record);
    expect(await store.verify(id)).toBe(true);
    expect(await text(store.read(id))).toBe(content.toString());
    expect(await text(store.read(id, { start: 7, end: 16 }))).toBe('replicated');
    expect(await readFile(join(root, 'blobs', id.slice(0, 2), id))).toEqual(content);
    expect(await listAll(store)).toEqual([record]);

    await store.remove(id);
    expect(await store.get(id)).toBeUndefined();
    expect(await store.verify(id)).toBe(false);
    expect(await listAll(store)).toEqual([]);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('lists every held blob, and only those', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await store.put(id, Readable.from([Buffer.from(id)]));
    // Bytes without a receipt (a crash before the receipt was written) are not a held blob.
    const orphan = randomUUID();
    await store.put(orphan, Readable.from(['orphan']));
    await rm(`${store.blobPath(orphan)}.json`);
    const listed = await listAll(store);
    expect(listed.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(await store.get(orphan)).toBeUndefined();
  });

  it('rejects a wrong SHA-256 with IntegrityError and leaves nothing behind', async () => {
    const id = randomUUID();
    const put = store.put(id, Readable.from([content]), { expectedSha256: sha256('something else') });
    await expect(put).rejects.toBeInstanceOf(IntegrityError);
    expect(await filesUnder(join(root, 'blobs'))).toEqual([]);
    expect(await filesUnder(store.tmpDir)).toEqual([]);
    expect(await store.get(id)).toBeUndefined();
  });

  it('rejects a wrong size with IntegrityError and leaves nothing behind', async () => {
    const put = store.put(randomUUID(), Readable.from([content]), { expectedSize: content.length + 1 });
    await expect(put).rejects.toBeInstanceOf(IntegrityError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('rejects more than maxBytes with TooLargeError and leaves nothing behind', async () => {
    const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(1000, 3)];
    const put = store.put(randomUUID(), Readable.from(chunks), { maxBytes: 2500 });
    await expect(put).rejects.toBeInstanceOf(TooLargeError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('accepts exactly maxBytes', async () => {
    const record = await store.put(randomUUID(), Readable.from([Buffer.alloc(2500)]), { maxBytes: 2500 });
    expect(record.size).toBe(2500);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    await expect(store.put(randomUUID(), failingSource())).rejects.toThrow('connection reset');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('finds a corrupted byte on verify, and a truncated blob on get', async () => {
    const id = randomUUID();
    await store.put(id, Readable.from([content]));
    const handle = await open(store.blobPath(id), 'r+');
    await handle.write(Buffer.from('J'), 0, 1, 0);
    await handle.close();
    expect(await store.get(id)).toBeDefined();
    expect(await store.verify(id)).toBe(false);

    await writeFile(store.blobPath(id), content.subarray(0, 5));
    expect(await store.get(id)).toBeUndefined();
  });

  it('adopts a complete file by a hard link: no copy, the same bytes under both names', async () => {
    const outside = join(root, 'tus-uploads', 'partial');
    await mkdir(join(root, 'tus-uploads'));
    await writeFile(outside, content);
    const id = randomUUID();
    const record = await store.adopt(id, outside, { name: 'a.txt', expectedSize: content.length });
    expect(record).toMatchObject({ id, sha256: sha256(content), size: content.length, name: 'a.txt' });
    const [kept, blob] = await Promise.all([stat(outside), stat(store.blobPath(id))]);
    expect(blob.ino).toBe(kept.ino);
    expect(await store.verify(id)).toBe(true);
    await rm(outside);
    expect(await readFile(store.blobPath(id))).toEqual(content);
  });

  it('adopts with the digest its writer computed, and refuses a file of another size', async () => {
    const path = join(root, 'partial');
    await writeFile(path, content);
    const digest = { sha256: sha256(content), size: content.length };
    expect((await store.adopt(randomUUID(), path, { digest })).sha256).toBe(digest.sha256);
    const id = randomUUID();
    await expect(store.adopt(id, path, { expectedSize: content.length + 1 })).rejects.toThrow(IntegrityError);
    await expect(store.adopt(id, path, { maxBytes: content.length - 1 })).rejects.toThrow(TooLargeError);
    expect(await store.get(id)).toBeUndefined();
  });

  it('refuses an id that is not a UUID', async () => {
    expect(() => store.blobPath('../../etc/passwd')).toThrow();
    await expect(store.put('../escape', Readable.from([content]))).rejects.toThrow();
    expect(await filesUnder(root)).toEqual([]);
  });

  it('notes a copy marked lost until the loss is forgotten; a new copy clears the note', async () => {
    const id = randomUUID();
    await store.put(id, Readable.from([content]));
    await store.markLost(id, 'bit rot');
    expect(await store.get(id)).toBeUndefined();
    expect(await store.lost()).toEqual([{ id, reason: 'bit rot' }]);
    await store.put(id, Readable.from([content]));
    expect(await store.lost()).toEqual([]);
    await store.markLost(id, 'again');
    await store.forgetLost(id);
    expect(await store.lost()).toEqual([]);
    expect(await listAll(store)).toEqual([]);
  });

  it("sweeps a dead writer's temporary folder at once, a live-looking one only when old", async () => {
    const tmpRoot = join(root, '.tmp');
    const dead = join(tmpRoot, `${hostname()}~${await exitedPid()}~dead`);
    const otherHostFresh = join(tmpRoot, 'elsewhere~1~fresh');
    const otherHostOld = join(tmpRoot, 'elsewhere~2~old');
    for (const dir of [dead, otherHostFresh, otherHostOld]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${randomUUID()}.part`), 'left by a crash');
    }
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(otherHostOld, twoMinutesAgo, twoMinutesAgo);
    await writeFile(join(store.tmpDir, 'mine.part'), 'a copy in progress');

    expect(await store.sweepTemporary(60_000)).toBe(2);
    await expect(stat(dead)).rejects.toThrow();
    await expect(stat(otherHostOld)).rejects.toThrow();
    expect((await stat(otherHostFresh)).isDirectory()).toBe(true);
    expect((await stat(join(store.tmpDir, 'mine.part'))).isFile()).toBe(true);
  });

  it('sweeps what a killed process left on open, but not the folder of another open store', async () => {
    const crashed = join(root, '.tmp', `${hostname()}~${await exitedPid()}~gone`);
    await mkdir(crashed, { recursive: true });
    await writeFile(join(crashed, `${randomUUID()}.part`), 'left by a crash');
    const second = new BlobStore(root);
    await second.open();
    await expect(stat(crashed)).rejects.toThrow();
    expect((await stat(store.tmpDir)).isDirectory()).toBe(true);
  });
  /** `putBytes` (bytes in memory, synchronous) keeps `put`'s contract: same files, same checks. */
  describe('putBytes', () => {
    it('stores the same blob and receipt as put, and clears a lost-note', async () => {
      const id = randomUUID();
      await store.markLost(id, 'rotted');
      const record = store.putBytes(id, content, {
        expectedSha256: sha256(content),
        expectedSize: content.length,
        name: 'small.txt',
      });
      expect(record).toMatchObject({ id, sha256: sha256(content), size: content.length, name: 'small.txt' });
      expect(await store.get(id)).toEqual(record);
      expect(await store.verify(id)).toBe(true);
      expect(await store.lost()).toEqual([]);
      expect((await filesUnder(root)).sort()).toEqual(
        [join('blobs', id.slice(0, 2), id), join('blobs', id.slice(0, 2), `${id}.json`)].sort(),
      );
    });

    it.each([
      ['a wrong SHA-256', { expectedSha256: sha256('other') }, IntegrityError],
      ['a wrong size', { expectedSize: content.length - 1 }, IntegrityError],
      ['more than maxBytes', { maxBytes: content.length - 1 }, TooLargeError],
    ])('refuses %s and leaves nothing behind', async (_what, options, error) => {
      const id = randomUUID();
      expect(() => store.putBytes(id, content, options)).toThrow(error);
      expect(await filesUnder(root)).toEqual([]);
      expect(await store.get(id)).toBeUndefined();
    });
  });

  /** `putBytesMany` is `putBytes` for a batch: one outcome per file, in order; a bad file spoils only itself. */
  describe('putBytesMany', () => {
    it('stores the good files of a batch and refuses the bad ones, each with its own error', async () => {
      const files = [0, 1, 2, 3].map((n) => ({ id: randomUUID(), bytes: Buffer.from(`file number ${n}\n`) }));
      const [first, wrongHash, tooLarge, last] = files as [
        (typeof files)[0],
        (typeof files)[0],
        (typeof files)[0],
        (typeof files)[0],
      ];
      const outcomes = await store.putBytesMany([
        { ...first, options: { expectedSha256: sha256(first.bytes), name: 'first.txt' } },
        { ...wrongHash, options: { expectedSha256: sha256('something else') } },
        { ...tooLarge, options: { maxBytes: tooLarge.bytes.length - 1 } },
        { ...last },
      ]);

      expect(outcomes).toHaveLength(4);
      expect(outcomes[0]).toMatchObject({
        id: first.id,
        sha256: sha256(first.bytes),
        size: first.bytes.length,
        name: 'first.txt',
      });
      expect(outcomes[1]).toBeInstanceOf(IntegrityError);
      expect(outcomes[2]).toBeInstanceOf(TooLargeError);
      expect(outcomes[3]).toMatchObject({ id: last.id, sha256: sha256(last.bytes), size: last.bytes.length });

      for (const [i, file] of [first, last].entries()) {
        expect(await store.get(file.id)).toEqual(outcomes[i * 3]);
        expect(await store.verify(file.id)).toBe(true);
        expect(await readFile(store.blobPath(file.id))).toEqual(file.bytes);
      }
      for (const file of [wrongHash, tooLarge]) {
        expect(await store.get(file.id)).toBeUndefined();
        await expect(stat(store.blobPath(file.id))).rejects.toThrow();
        await expect(stat(`${store.blobPath(file.id)}.json`)).rejects.toThrow();
      }
      expect((await filesUnder(root)).sort()).toEqual(
        [first, last]
          .flatMap(({ id }) => [
            join('blobs', id.slice(0, 2), id),
            join('blobs', id.slice(0, 2), `${id}.json`),
          ])
          .sort(),
      );
      expect(await filesUnder(store.tmpDir)).toEqual([]);
    });

    it('resolves an empty batch with no outcomes', async () => {
      expect(await store.putBytesMany([])).toEqual([]);
      expect(await filesUnder(root)).toEqual([]);
    });

    it('clears the lost-note of a file it stores', async () => {
      const id = randomUUID();
      await store.markLost(id, 'rotted');
      expect(await store.lost()).toEqual([{ id, reason: 'rotted' }]);
      const [record] = await store.putBytesMany([{ id, bytes: content }]);
      expect(record).toMatchObject({ id, sha256: sha256(content) });
      expect(await store.get(id)).toEqual(record);
      expect(await store.lost()).toEqual([]);
    });
  });
});

/** The pid of a process that has exited, so no live process owns it. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid ?? 999_999;
}
