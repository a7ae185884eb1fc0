import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { newUploadId, PartStore } from '../../services/ingest/src/s3/part-store.ts';
import { SqliteS3Catalog } from '../../services/ingest/src/s3/sqlite/sqlite-s3-catalog.ts';
import { expireUploads, STALE_UPLOAD_MS } from '../../services/ingest/src/s3/upload-expiry.ts';
import { silentLogger } from '../../shared/src/logger.ts';

let dir: string;
let catalog: SqliteS3Catalog;
let parts: PartStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfr-s3exp-'));
  await mkdir(join(dir, 'tmp'));
  catalog = new SqliteS3Catalog(join(dir, 'metadata.db'));
  parts = new PartStore(join(dir, 's3-parts'), join(dir, 'tmp'));
  await parts.open();
  await catalog.createBucket({ name: 'b', createdAt: new Date().toISOString() });
});
afterEach(async () => {
  await catalog.close();
  await rm(dir, { recursive: true, force: true });
});

async function startUpload(ageMs: number): Promise<string> {
  const now = Date.now();
  const uploadId = newUploadId(now - ageMs);
  await catalog.createUpload({
    uploadId,
    bucket: 'b',
    key: 'k',
    initiatedAt: new Date(now - ageMs).toISOString(),
    headers: { metadata: {} },
  });
  const written = await parts.write(uploadId, 1, Readable.from([Buffer.from('part bytes')]), 1024);
  await catalog.putPart({
    uploadId,
    partNumber: 1,
    size: written.size,
    etag: 'e'.repeat(32),
    lastModified: new Date().toISOString(),
    file: written.file,
  });
  return uploadId;
}

it('aborts uploads older than the limit with their parts, and keeps younger ones', async () => {
  const stale = await startUpload(STALE_UPLOAD_MS + 60_000);
  const fresh = await startUpload(60_000);
  expect(await expireUploads(catalog, parts, silentLogger())).toEqual({ uploads: 1, folders: 0 });
  expect(await catalog.getUpload(stale)).toBeUndefined();
  expect(await catalog.getUpload(fresh)).toBeDefined();
  expect(await readdir(join(dir, 's3-parts'))).toEqual([fresh]);
});

it('removes part folders no upload owns once they are an hour old', async () => {
  const orphan = newUploadId();
  const recent = newUploadId();
  for (const id of [orphan, recent]) await mkdir(join(dir, 's3-parts', id));
  const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
  await utimes(join(dir, 's3-parts', orphan), hoursAgo, hoursAgo);
  expect(await expireUploads(catalog, parts, silentLogger())).toEqual({ uploads: 0, folders: 1 });
  expect(await readdir(join(dir, 's3-parts'))).toEqual([recent]);
});
