import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../../shared/src/fs/atomic-write.ts';

/**
 * The id of the ingest instance that owns a data directory, kept in the directory itself: a
 * file's record names the instance holding its main copy by this id, which stays the same
 * across restarts, ports and public URLs, and moves with the directory.
 */
export async function instanceIdOf(dataDir: string, tmpDir: string): Promise<string> {
  const path = join(dataDir, 'instance-id');
  const known = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f-]{36}$/.test(known)) return known;
  const id = randomUUID();
  await writeFileAtomically(path, id, tmpDir);
  return id;
}
