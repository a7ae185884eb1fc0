import type { Logger } from '../../../../shared/src/logger.ts';
import type { PartStore } from './part-store.ts';
import type { S3Catalog } from './s3-catalog.ts';

/** A multipart upload neither completed nor aborted this long after it began is abandoned (S3's common lifecycle rule). */
export const STALE_UPLOAD_MS = 7 * 24 * 3_600_000;
/** A part folder no upload owns is left this long first: its upload may be being created or completed. */
const ORPHAN_FOLDER_MS = 3_600_000;

/**
 * Aborts uploads older than `staleMs` and removes part folders that no upload owns (a crash
 * between a completion's commit and its clean-up). Returns how many uploads and folders went.
 */
export async function expireUploads(
  catalog: S3Catalog,
  parts: PartStore,
  logger: Logger,
  nowMs = Date.now(),
  staleMs = STALE_UPLOAD_MS,
): Promise<{ uploads: number; folders: number }> {
  let uploads = 0;
  let folders = 0;
  const before = new Date(nowMs - staleMs).toISOString();
  for (;;) {
    const stale = await catalog.uploadsStartedBefore(before, 100);
    for (const upload of stale) {
      await catalog.deleteUpload(upload.uploadId);
      await parts.removeUpload(upload.uploadId);
      uploads += 1;
    }
    if (stale.length < 100) break;
  }
  for (const folder of await parts.folders()) {
    if (nowMs - folder.modifiedMs < ORPHAN_FOLDER_MS) continue;
    if (await catalog.getUpload(folder.uploadId)) continue;
    await parts.removeUpload(folder.uploadId);
    folders += 1;
  }
  if (uploads + folders > 0) logger.info({ uploads, folders }, 'expired abandoned S3 multipart uploads');
  return { uploads, folders };
}
