import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';

/**
 * Fills `<dataDir>/metadata.db` with `files` files, each stored on every node (so none is due in
 * the outbox), through the product's own SqliteMetadataStore: the schema and the rows are exactly
 * what ingest writes. It commits (and fsyncs) once per call, so the database is built on tmpfs,
 * where fsync costs nothing, and then copied onto the disk under test. Returns the ids.
 */
export async function seedMetadata(
  dataDir: string,
  files: number,
  nodes: readonly string[],
): Promise<{ ids: string[]; seconds: number }> {
  const started = performance.now();
  const scratch = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dfr-bench-meta-'));
  const ids: string[] = [];
  try {
    const store = new SqliteMetadataStore(join(scratch, 'metadata.db'));
    const t0 = Date.now() - files * 1000;
    for (let i = 0; i < files; i++) {
      const id = randomUUID();
      const sha256 = randomBytes(32).toString('hex');
      const at = new Date(t0 + i * 1000).toISOString();
      await store.addFiles(
        [
          {
            file: { id, name: `file-${i}.bin`, size: 4096, sha256, createdAt: at },
            nodes,
            target: nodes.length,
          },
        ],
        0,
      );
      await store.recordStored(nodes.map((node) => ({ fileId: id, node, sha256, size: 4096, storedAt: at })));
      ids.push(id);
    }
    // Closing checkpoints the WAL into the main file, so one file carries everything.
    await store.close();
    await mkdir(dataDir, { recursive: true });
    await copyFile(join(scratch, 'metadata.db'), join(dataDir, 'metadata.db'));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { ids, seconds: (performance.now() - started) / 1000 };
}
