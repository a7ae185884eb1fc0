import type { BlobStore } from './blob-store.ts';

export interface ScrubReport {
  checked: number;
  removed: string[];
}

/**
 * One scrub pass over a store: re-hashes every held blob against its receipt and hands each
 * damaged one to `onDamaged` (which removes it and arranges its replacement). Stops between
 * blobs once `stopping()` says so.
 */
export async function scrubStore(
  store: BlobStore,
  onDamaged: (id: string) => Promise<void>,
  stopping: () => boolean = () => false,
): Promise<ScrubReport> {
  const report: ScrubReport = { checked: 0, removed: [] };
  for await (const record of store.list()) {
    if (stopping()) break;
    report.checked += 1;
    if (await store.verify(record.id)) continue;
    await onDamaged(record.id);
    report.removed.push(record.id);
  }
  return report;
}
