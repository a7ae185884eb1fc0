import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlainFileBlobs } from '../../shared/src/fs/plain-file-blobs.ts';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { filesUnder, listAll } from './blob-store-contract.ts';

/** What the tiered store adds to the contract: where each kind goes, and the store's upkeep. */
describe('TieredBlobStore', () => {
  let root: string;
  let store: TieredBlobStore;
  const threshold = 4096;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfr-tiered-store-'));
    store = new TieredBlobStore(root, { smallMaxBytes: threshold });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps a file up to the threshold as a row and a larger one as a plain file', async () => {
    const [small, large] = [randomUUID(), randomUUID()];
    const smallBytes = randomBytes(threshold);
    const largeBytes = randomBytes(threshold + 1);
    // Chunks as a socket delivers them: the store cannot know a body's length before reading it.
    const chunked = (bytes: Buffer) => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    await store.put(small, chunked(smallBytes));
    await store.put(large, chunked(largeBytes));
    expect(await filesUnder(join(root, 'blobs'))).toEqual(
      [join(large.slice(0, 2), large), join(large.slice(0, 2), `${large}.json`)].sort(),
    );
    expect(store.plainPath(small)).toBeUndefined();
    expect(store.plainPath(large)).toBe(join(root, 'blobs', large.slice(0, 2), large));
    expect(await buffer(store.read(small))).toEqual(smallBytes);
    expect(await buffer(store.read(large))).toEqual(largeBytes);
    expect(await store.bytesOf(small)).toEqual(smallBytes);
    expect((await listAll(store)).map((r) => r.id).sort()).toEqual([small, large].sort());
  });

  it('adopts a large file by a hard link and copies a small one into its row', async () => {
    const largePath = join(root, 'large.part');
    const smallPath = join(root, 'small.part');
    await writeFile(largePath, randomBytes(threshold * 2));
    await writeFile(smallPath, 'small');
    const [large, small] = [randomUUID(), randomUUID()];
    await store.adopt(large, largePath);
    await store.adopt(small, smallPath);
    const [kept, blob] = await Promise.all([
      stat(largePath),
      stat(join(root, 'blobs', large.slice(0, 2), large)),
    ]);
    expect(blob.ino).toBe(kept.ino);
    await rm(smallPath);
    expect(await text(store.read(small))).toBe('small');
  });

  it('still reads small files a store kept as plain files before it had the table', async () => {
    const legacy = new PlainFileBlobs(root, store.tmpDir);
    const id = randomUUID();
    const record = await legacy.put(id, Readable.from(['from an older version']));
    expect(await store.get(id)).toEqual(record);
    expect(await store.verify(id)).toBe(true);
    expect(await text(store.read(id))).toBe('from an older version');
    expect(await store.bytesOf(id)).toEqual(Buffer.from('from an older version'));
    await store.remove(id);
    expect(await store.get(id)).toBeUndefined();
  });

  it('shares its table with another store open on the same folder (two workers of one node)', async () => {
    const second = new TieredBlobStore(root, { smallMaxBytes: threshold });
    await second.open();
    try {
      const ids = Array.from({ length: 50 }, () => randomUUID());
      await Promise.all(ids.map((id, i) => (i % 2 ? store : second).put(id, Readable.from([id]))));
      for (const id of ids) expect(await text(store.read(id))).toBe(id);
      expect(await listAll(second)).toHaveLength(50);
    } finally {
      await second.close();
    }
  });

  it('gives the space of deleted rows back to the filesystem', async () => {
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    const bytes = randomBytes(threshold);
    for (let i = 0; i < ids.length; i += 200) {
      await store.putMany(ids.slice(i, i + 200).map((id) => ({ id, bytes })));
    }
    const tableBytes = async () => {
      const [db, wal] = await Promise.all([
        stat(join(root, 'small.db')),
        stat(join(root, 'small.db-wal')).catch(() => ({ size: 0 })),
      ]);
      return db.size + wal.size;
    };
    const full = await tableBytes();
    expect(full).toBeGreaterThan(ids.length * threshold);
    for (const id of ids) await store.remove(id);
    // Reopening checkpoints the WAL into the database file, whose freed pages were given back.
    await store.close();
    store = new TieredBlobStore(root, { smallMaxBytes: threshold });
    await store.open();
    expect((await stat(join(root, 'small.db'))).size).toBeLessThan(full / 2);
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
    const second = new TieredBlobStore(root);
    await second.open();
    await second.close();
    await expect(stat(crashed)).rejects.toThrow();
    expect((await stat(store.tmpDir)).isDirectory()).toBe(true);
  });
});

/** The pid of a process that has exited, so no live process owns it. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid ?? 999_999;
}
