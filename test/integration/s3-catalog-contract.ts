import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  MultipartUpload,
  S3Catalog,
  S3Object,
  UploadPart,
} from '../../services/ingest/src/s3/s3-catalog.ts';

/** One database for one test: a catalog on it, a reopened catalog on the same data, and disposal. */
export interface CatalogFixture {
  catalog: S3Catalog;
  /** Another catalog on the same database (a restart). */
  reopen(): Promise<S3Catalog>;
  cleanup(): Promise<void>;
}

const NOW = '2026-12-01T12:00:00.000Z';

const object = (key: string, overrides: Partial<S3Object> = {}): S3Object => ({
  bucket: 'b',
  key,
  fileId: randomUUID(),
  size: 3,
  etag: 'acbd18db4cc2f85cedef654fccc4a4d8',
  lastModified: NOW,
  headers: { contentType: 'text/plain', metadata: { mtime: '1700000000' } },
  ...overrides,
});

const upload = (key: string, uploadId: string, initiatedAt = NOW): MultipartUpload => ({
  uploadId,
  bucket: 'b',
  key,
  initiatedAt,
  headers: { metadata: {} },
});

const part = (uploadId: string, partNumber: number, file = `f${partNumber}`): UploadPart => ({
  uploadId,
  partNumber,
  size: 5 * 1024 * 1024,
  etag: 'e'.repeat(32),
  lastModified: NOW,
  file,
  holder: 'instance-1',
});

const keys = (objects: S3Object[]) => objects.map((o) => o.key);

/** The behaviour every S3Catalog adapter must show (see s3/s3-catalog.ts); a fresh database per test. */
export function s3CatalogContract(name: string, open: () => Promise<CatalogFixture>): void {
  describe(`S3Catalog contract: ${name}`, () => {
    let fixture: CatalogFixture;
    let catalog: S3Catalog;

    beforeEach(async () => {
      fixture = await open();
      catalog = fixture.catalog;
      await catalog.createBucket({ name: 'b', createdAt: NOW });
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('creates a bucket once, lists buckets by name, and keeps them across a reopen', async () => {
      expect(await catalog.createBucket({ name: 'b', createdAt: NOW })).toBe(false);
      expect(await catalog.createBucket({ name: 'a', createdAt: NOW })).toBe(true);
      expect((await catalog.listBuckets()).map((b) => b.name)).toEqual(['a', 'b']);
      const again = await fixture.reopen();
      expect(await again.getBucket('a')).toEqual({ name: 'a', createdAt: NOW });
      expect(await again.getBucket('zz')).toBeUndefined();
    });

    it('deletes only an empty bucket, and takes its uploads with it', async () => {
      await catalog.putObject(object('k'));
      expect((await catalog.deleteBucket('b')).outcome).toBe('not-empty');
      await catalog.deleteObject('b', 'k');
      await catalog.createUpload(upload('u', 'up1'));
      await catalog.putPart(part('up1', 1));
      const deleted = await catalog.deleteBucket('b');
      expect(deleted).toEqual({ outcome: 'deleted', parts: [part('up1', 1)] });
      expect(await catalog.getUpload('up1')).toBeUndefined();
      expect((await catalog.deleteBucket('b')).outcome).toBe('missing');
    });

    it('writes a key with every field, replaces it, and returns what it replaced', async () => {
      const first = object('a/é&"x', { checksum: { algorithm: 'crc32', value: 'AAAAAA==' } });
      expect(await catalog.putObject(first)).toEqual({ outcome: 'stored', replaced: undefined });
      expect(await catalog.getObject('b', first.key)).toEqual(first);
      const second = object(first.key, { size: 9, etag: `${'f'.repeat(32)}-2` });
      expect(await catalog.putObject(second)).toEqual({ outcome: 'stored', replaced: first });
      expect(await catalog.getObject('b', first.key)).toEqual({ ...second, checksum: undefined });
      expect(await catalog.deleteObject('b', first.key)).toEqual({ ...second, checksum: undefined });
      expect(await catalog.deleteObject('b', first.key)).toBeUndefined();
    });

    it('refuses a write to a missing bucket, and honours If-None-Match and If-Match', async () => {
      expect(await catalog.putObject(object('k', { bucket: 'nope' }))).toEqual({ outcome: 'no-bucket' });
      const first = object('k');
      expect((await catalog.putObject(first, { ifNoneMatch: true })).outcome).toBe('stored');
      expect((await catalog.putObject(object('k'), { ifNoneMatch: true })).outcome).toBe(
        'precondition-failed',
      );
      expect((await catalog.putObject(object('k'), { ifMatch: 'other' })).outcome).toBe(
        'precondition-failed',
      );
      expect((await catalog.putObject(object('k'), { ifMatch: first.etag })).outcome).toBe('stored');
      expect((await catalog.putObject(object('new'), { ifMatch: first.etag })).outcome).toBe(
        'precondition-failed',
      );
    });

    it('lists keys in UTF-8 byte order, by prefix, after a key or after a whole prefix', async () => {
      // U+FF5E sorts before U+1F600 in UTF-8 but after it in UTF-16.
      const all = ['a', 'a/1', 'a/2', 'a0', 'b/x', '\uff5e', '\u{1f600}'];
      for (const key of [...all].reverse()) await catalog.putObject(object(key));
      expect(keys(await catalog.listObjects('b', { prefix: '', limit: 100 }))).toEqual(all);
      expect(keys(await catalog.listObjects('b', { prefix: 'a/', limit: 100 }))).toEqual(['a/1', 'a/2']);
      expect(keys(await catalog.listObjects('b', { prefix: 'a', limit: 2 }))).toEqual(['a', 'a/1']);
      const after = { key: 'a/1', wholePrefix: false };
      expect(keys(await catalog.listObjects('b', { prefix: '', after, limit: 2 }))).toEqual(['a/2', 'a0']);
      const skip = { key: 'a/', wholePrefix: true };
      expect(keys(await catalog.listObjects('b', { prefix: 'a', after: skip, limit: 9 }))).toEqual(['a0']);
      expect(await catalog.listObjects('other', { prefix: '', limit: 9 })).toEqual([]);
    });

    it('keeps uploads and parts; a re-sent part replaces the first and returns it', async () => {
      expect(await catalog.createUpload({ ...upload('k', 'up1'), bucket: 'nope' })).toBe(false);
      const u = { ...upload('k', 'up1'), headers: { contentType: 'image/png', metadata: { a: '1' } } };
      expect(await catalog.createUpload(u)).toBe(true);
      expect(await catalog.getUpload('up1')).toEqual(u);
      expect(await catalog.putPart(part('up1', 2))).toEqual({ replaced: undefined });
      expect(await catalog.putPart(part('up1', 1))).toEqual({ replaced: undefined });
      expect(await catalog.putPart(part('up1', 2, 'again'))).toEqual({ replaced: part('up1', 2) });
      expect(await catalog.listParts('up1', 0, 10)).toEqual([part('up1', 1), part('up1', 2, 'again')]);
      expect(await catalog.listParts('up1', 1, 10)).toEqual([part('up1', 2, 'again')]);
      expect(await catalog.putPart(part('gone', 1))).toBeUndefined();
    });

    it('completes an upload into an object in one step, once', async () => {
      await catalog.createUpload(upload('k', 'up1'));
      await catalog.putPart(part('up1', 1));
      const old = object('k');
      await catalog.putObject(old);
      const done = object('k', { etag: `${'c'.repeat(32)}-1` });
      expect(await catalog.completeUpload('up1', done)).toEqual({
        outcome: 'stored',
        replaced: old,
        parts: [part('up1', 1)],
      });
      expect(await catalog.getObject('b', 'k')).toEqual(done);
      expect(await catalog.getUpload('up1')).toBeUndefined();
      expect(await catalog.completeUpload('up1', done)).toEqual({ outcome: 'no-upload' });
    });

    it('a completion whose condition fails keeps the upload', async () => {
      await catalog.createUpload(upload('k', 'up1'));
      await catalog.putObject(object('k'));
      expect(await catalog.completeUpload('up1', object('k'), { ifNoneMatch: true })).toEqual({
        outcome: 'precondition-failed',
      });
      expect(await catalog.getUpload('up1')).toBeDefined();
    });

    it('aborts an upload, lists uploads by key and id after a marker, and finds stale ones', async () => {
      await catalog.createUpload(upload('x', 'up3', '2026-12-01T10:00:00.000Z'));
      await catalog.createUpload(upload('k', 'up2', NOW));
      await catalog.createUpload(upload('k', 'up1', '2026-11-01T00:00:00.000Z'));
      const ids = (list: MultipartUpload[]) => list.map((u) => u.uploadId);
      expect(ids(await catalog.listUploads('b', { prefix: '', limit: 10 }))).toEqual(['up1', 'up2', 'up3']);
      expect(ids(await catalog.listUploads('b', { prefix: 'k', limit: 10 }))).toEqual(['up1', 'up2']);
      const marker = { key: 'k', uploadId: 'up1' };
      expect(ids(await catalog.listUploads('b', { prefix: '', after: marker, limit: 10 }))).toEqual([
        'up2',
        'up3',
      ]);
      expect(ids(await catalog.listUploads('b', { prefix: '', after: { key: 'k' }, limit: 10 }))).toEqual([
        'up3',
      ]);
      expect(ids(await catalog.uploadsStartedBefore('2026-12-01T11:00:00.000Z', 10))).toEqual(['up1', 'up3']);
      await catalog.putPart(part('up1', 1));
      expect(await catalog.deleteUpload('up1')).toEqual([part('up1', 1)]);
      expect(await catalog.deleteUpload('up1')).toBeUndefined();
      expect(await catalog.listParts('up1', 0, 10)).toEqual([]);
    });

    it('two catalogs racing for one key: one If-None-Match wins; each replaced object reaches one writer', async () => {
      const other = await fixture.reopen();
      const pick = (i: number) => (i % 2 === 0 ? catalog : other);
      const conditional = await Promise.all(
        [0, 1, 2, 3].map((i) => pick(i).putObject(object('race'), { ifNoneMatch: true })),
      );
      expect(conditional.filter((o) => o.outcome === 'stored')).toHaveLength(1);
      const writes = Array.from({ length: 8 }, () => object('k'));
      const results = await Promise.all(writes.map((w, i) => pick(i).putObject(w)));
      const replaced = results.flatMap((r) =>
        r.outcome === 'stored' && r.replaced ? [r.replaced.fileId] : [],
      );
      const last = (await catalog.getObject('b', 'k'))?.fileId;
      // Every file but the one the key ends with was returned as replaced exactly once.
      expect([...replaced, last].sort()).toEqual(writes.map((w) => w.fileId).sort());
    });

    it('two catalogs completing one upload at once: one stores it, the other finds no upload', async () => {
      const other = await fixture.reopen();
      await catalog.createUpload(upload('k', 'up1'));
      await catalog.putPart(part('up1', 1));
      const outcomes = await Promise.all([
        catalog.completeUpload('up1', object('k')),
        other.completeUpload('up1', object('k')),
      ]);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['no-upload', 'stored']);
      expect(await other.listParts('up1', 0, 10)).toEqual([]);
    });
  });
}
