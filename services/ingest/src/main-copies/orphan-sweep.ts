import type { BlobStore } from '../../../../shared/src/fs/blob-store.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { MetadataStore } from '../store/metadata-store.ts';

/** Blobs younger than this may belong to an upload whose metadata is being committed right now. */
const ORPHAN_MIN_AGE_MS = 60_000;

/**
 * Removes main copies that no live file owns: an upload whose process died between renaming
 * its blob into place and committing its metadata, or a delete cut short. Such a blob was never
 * acknowledged, so removing it loses nothing; keeping it would look like a file. Returns how many.
 */
export async function sweepOrphanBlobs(
  blobs: BlobStore,
  metadata: MetadataStore,
  logger: Logger,
  minAgeMs = ORPHAN_MIN_AGE_MS,
): Promise<number> {
  let removed = 0;
  try {
    for await (const record of blobs.list()) {
      if (await metadata.getFile(record.id)) continue;
      if (Date.now() - Date.parse(record.storedAt) < minAgeMs) continue;
      await blobs.remove(record.id);
      removed += 1;
    }
  } catch (err) {
    logger.error({ err }, 'orphan sweep stopped early');
  }
  if (removed > 0) logger.warn({ removed }, 'removed blobs that no file owns');
  return removed;
}
