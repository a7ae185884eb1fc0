import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobRecord } from './blob-store.ts';
import { PlainFileBlobs } from './plain-file-blobs.ts';
import { SmallBlobTable } from './small-blob-table.ts';
import { VerifyingStream } from './verifying-stream.ts';

export interface ExportReport {
  exported: number;
  bytes: number;
  /** Copies whose bytes no longer match their receipt: not exported. */
  damaged: string[];
}

/**
 * Writes every verified copy of a store (ingest's data directory or a node's), whichever kind
 * holds it, as plain files: `<out>/<id>` with the bytes and `<out>/<id>.json` with the receipt
 * (id, SHA-256, size, time, name, media type). Reads the store without changing it, so it can
 * run beside a live worker or on a copy of a dead node's disk.
 */
export async function exportStore(storeDir: string, outDir: string): Promise<ExportReport> {
  await mkdir(outDir, { recursive: true });
  const report: ExportReport = { exported: 0, bytes: 0, damaged: [] };
  const exportOne = async (record: BlobRecord, bytes: NodeJS.ReadableStream) => {
    const target = join(outDir, record.id);
    try {
      await pipeline(bytes, new VerifyingStream(record), createWriteStream(target));
    } catch {
      await rm(target, { force: true });
      report.damaged.push(record.id);
      return;
    }
    await writeFile(`${target}.json`, `${JSON.stringify(record, null, 2)}\n`);
    report.exported += 1;
    report.bytes += record.size;
  };
  const tablePath = join(storeDir, 'small.db');
  if (existsSync(tablePath)) {
    const table = new SmallBlobTable(tablePath);
    table.open({ readonly: true });
    try {
      for (const record of table.list()) {
        const bytes = table.read(record.id);
        if (bytes) await exportOne(record, bytes);
      }
    } finally {
      table.close();
    }
  }
  // No temporary files are written: the folder is only for writes, which an export never makes.
  const plain = new PlainFileBlobs(storeDir, join(storeDir, '.tmp'));
  for await (const record of plain.list()) await exportOne(record, plain.read(record.id));
  return report;
}
