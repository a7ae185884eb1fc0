import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../shared/src/fs/atomic-write.ts';
import type { BlobRecord, BlobStore } from '../../shared/src/fs/blob-store.ts';
import { TooLargeError } from '../../shared/src/fs/hashing-stream.ts';
import type { BlobDamage } from '../support/blob-damage.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export async function listAll(store: BlobStore): Promise<BlobRecord[]> {
  const records: BlobRecord[] = [];
  for await (const record of store.list()) records.push(record);
  return records;
}

/** Every file under dir, as paths relative to it; none when dir is missing. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
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

export interface BlobStoreAdapter {
  open(root: string): Promise<BlobStore>;
  damage(root: string): BlobDamage;
}

/**
 * The BlobStore port's contract (blob-store.ts), one suite for every kind of store. Sizes stay
 * under 3 KB, so an adapter that keeps small files as rows keeps all of these as rows.
 */
export function blobStoreContract(name: string, adapter: BlobStoreAdapter): void {
  describe(`BlobStore contract: ${name}`, () => {
    let root: string;
    let store: BlobStore;
    const content = Buffer.from('hello, replicated world\n');

    /** Nothing is held, and no temporary or blob file is left (a row store keeps its table file). */
    const expectNothingHeld = async () => {
      expect(await listAll(store)).toEqual([]);
      expect(await filesUnder(join(root, 'blobs'))).toEqual([]);
      expect(await filesUnder(join(root, '.tmp'))).toEqual([]);
    };

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'dfr-blob-store-'));
      store = await adapter.open(root);
    });

    afterEach(async () => {
      await store.close();
      await rm(root, { recursive: true, force: true });
    });

    it('puts a verified blob with its receipt, then gets, reads, verifies, lists and removes it', async () => {
      const id = randomUUID();
      const record = await store.put(id, Readable.from([content]), {
        expectedSha256: sha256(content),
        expectedSize: content.length,
        name: 'greeting.txt',
        contentType: 'text/plain',
      });
      expect(record).toMatchObject({
        id,
        sha256: sha256(content),
        size: content.length,
        name: 'greeting.txt',
        contentType: 'text/plain',
      });
      expect(new Date(record.storedAt).getTime()).not.toBeNaN();

      expect(await store.get(id)).toEqual(record);
      expect(await store.verify(id)).toBe(true);
      expect(await text(store.read(id))).toBe(content.toString());
      expect(await text(store.read(id, { start: 7, end: 16 }))).toBe('replicated');
      expect(await text(store.readVerified(record, undefined, () => undefined))).toBe(content.toString());
      expect(await listAll(store)).toEqual([record]);

      await store.remove(id);
      await store.remove(id);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.verify(id)).toBe(false);
      await expectNothingHeld();
    });

    it('puts an empty blob', async () => {
      const id = randomUUID();
      const record = await store.put(id, Readable.from([]), { expectedSize: 0 });
      expect(record.size).toBe(0);
      expect(await store.verify(id)).toBe(true);
      expect(await text(store.read(id))).toBe('');
    });

    it('lists every held blob, and only those', async () => {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids) await store.put(id, Readable.from([Buffer.from(id)]));
      const listed = await listAll(store);
      expect(listed.map((r) => r.id).sort()).toEqual([...ids].sort());
    });

    it('rejects a wrong SHA-256 with IntegrityError and leaves nothing behind', async () => {
      const id = randomUUID();
      const put = store.put(id, Readable.from([content]), { expectedSha256: sha256('something else') });
      await expect(put).rejects.toBeInstanceOf(IntegrityError);
      expect(await store.get(id)).toBeUndefined();
      await expectNothingHeld();
    });

    it('rejects a wrong size with IntegrityError and leaves nothing behind', async () => {
      const put = store.put(randomUUID(), Readable.from([content]), { expectedSize: content.length + 1 });
      await expect(put).rejects.toBeInstanceOf(IntegrityError);
      await expectNothingHeld();
    });

    it('rejects more than maxBytes with TooLargeError and leaves nothing behind', async () => {
      const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(1000, 3)];
      const put = store.put(randomUUID(), Readable.from(chunks), { maxBytes: 2500 });
      await expect(put).rejects.toBeInstanceOf(TooLargeError);
      await expectNothingHeld();
    });

    it('accepts exactly maxBytes', async () => {
      const record = await store.put(randomUUID(), Readable.from([Buffer.alloc(2500)]), { maxBytes: 2500 });
      expect(record.size).toBe(2500);
    });

    it('leaves nothing behind when the source fails midway', async () => {
      await expect(store.put(randomUUID(), failingSource())).rejects.toThrow('connection reset');
      await expectNothingHeld();
    });

    it('finds a corrupted byte on verify and on a verified read, and a truncated blob on get', async () => {
      const id = randomUUID();
      const record = await store.put(id, Readable.from([content]));
      await adapter.damage(root).corrupt(id);
      expect(await store.get(id)).toBeDefined();
      expect(await store.verify(id)).toBe(false);
      let mismatches = 0;
      await expect(text(store.readVerified(record, undefined, () => (mismatches += 1)))).rejects.toThrow(
        IntegrityError,
      );
      expect(mismatches).toBe(1);

      await adapter.damage(root).truncate(id, 5);
      expect(await store.get(id)).toBeUndefined();
      expect(await listAll(store)).toEqual([]);
    });

    it('adopts a complete file, which stays where it was', async () => {
      const outside = join(root, 'tus-uploads', 'partial');
      await mkdir(join(root, 'tus-uploads'));
      await writeFile(outside, content);
      const id = randomUUID();
      const record = await store.adopt(id, outside, { name: 'a.txt', expectedSize: content.length });
      expect(record).toMatchObject({ id, sha256: sha256(content), size: content.length, name: 'a.txt' });
      expect(await store.verify(id)).toBe(true);
      await rm(outside);
      expect(await text(store.read(id))).toBe(content.toString());
    });

    it('adopts with the digest its writer computed, and refuses a file of another size', async () => {
      const path = join(root, 'partial');
      await writeFile(path, content);
      const digest = { sha256: sha256(content), size: content.length };
      expect((await store.adopt(randomUUID(), path, { digest })).sha256).toBe(digest.sha256);
      const id = randomUUID();
      await expect(store.adopt(id, path, { expectedSize: content.length + 1 })).rejects.toThrow(
        IntegrityError,
      );
      await expect(store.adopt(id, path, { maxBytes: content.length - 1 })).rejects.toThrow(TooLargeError);
      expect(await store.get(id)).toBeUndefined();
    });

    it('refuses an id that is not a UUID', async () => {
      await expect(store.put('../escape', Readable.from([content]))).rejects.toThrow();
      await expectNothingHeld();
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

    it('stores the good files of a putMany and refuses the bad ones, each with its own error', async () => {
      const files = [0, 1, 2, 3].map((n) => ({ id: randomUUID(), bytes: Buffer.from(`file number ${n}\n`) }));
      const [first, wrongHash, tooLarge, last] = files as [
        (typeof files)[0],
        (typeof files)[0],
        (typeof files)[0],
        (typeof files)[0],
      ];
      const outcomes = await store.putMany([
        { ...first, options: { expectedSha256: sha256(first.bytes), name: 'first.txt' } },
        { ...wrongHash, options: { expectedSha256: sha256('something else') } },
        { ...tooLarge, options: { maxBytes: tooLarge.bytes.length - 1 } },
        { ...last },
      ]);
      expect(outcomes).toHaveLength(4);
      expect(outcomes[0]).toMatchObject({ id: first.id, sha256: sha256(first.bytes), name: 'first.txt' });
      expect(outcomes[1]).toBeInstanceOf(IntegrityError);
      expect(outcomes[2]).toBeInstanceOf(TooLargeError);
      expect(outcomes[3]).toMatchObject({ id: last.id, sha256: sha256(last.bytes), size: last.bytes.length });
      for (const [i, file] of [first, last].entries()) {
        expect(await store.get(file.id)).toEqual(outcomes[i * 3]);
        expect(await store.verify(file.id)).toBe(true);
      }
      for (const file of [wrongHash, tooLarge]) expect(await store.get(file.id)).toBeUndefined();
      expect((await listAll(store)).map((r) => r.id).sort()).toEqual([first.id, last.id].sort());
      expect(await store.putMany([])).toEqual([]);
    });

    it('clears the lost-note of a file putMany stores, and keeps a second put of one id idempotent', async () => {
      const id = randomUUID();
      await store.markLost(id, 'rotted');
      const [record] = await store.putMany([{ id, bytes: content }]);
      expect(record).toMatchObject({ id, sha256: sha256(content) });
      expect(await store.lost()).toEqual([]);
      await store.put(id, Readable.from([content]));
      expect(await listAll(store)).toHaveLength(1);
    });

    it('keeps many concurrent puts apart, each with its own bytes', async () => {
      const files = Array.from({ length: 100 }, (_, i) => ({
        id: randomUUID(),
        bytes: Buffer.from(`#${i}`),
      }));
      const records = await Promise.all(files.map((f) => store.put(f.id, Readable.from([f.bytes]))));
      for (const [i, file] of files.entries()) {
        expect(records[i]?.sha256).toBe(sha256(file.bytes));
        expect(await text(store.read(file.id))).toBe(file.bytes.toString());
      }
    });
  });
}
