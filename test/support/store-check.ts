import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import Database from 'better-sqlite3';

/** Every file (not folder) under dir, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/**
 * What a data directory may hold at rest: its instance id, the metadata database, the small-file
 * table, complete blobs with receipts.
 */
const AT_REST = new RegExp(
  `^(instance-id|(metadata|small)\\.db(-wal|-shm)?|blobs/[0-9a-f]{2}/${UUID}(\\.json)?)$`,
);

/**
 * What is wrong with the files under root, whose only writable places are the given data
 * directories: a file anywhere else, a temporary file, a blob without its receipt or a receipt
 * without its blob. Empty when all is well.
 */
export async function storeProblems(root: string, dataDirs: string[]): Promise<string[]> {
  const problems: string[] = [];
  const inside = dataDirs.map((dir) => relative(root, dir).split(sep).join('/'));
  for (const file of await filesUnder(root)) {
    const dir = inside.find((prefix) => file.startsWith(`${prefix}/`));
    const rest = dir === undefined ? undefined : file.slice(dir.length + 1);
    if (rest === undefined) problems.push(`outside the stores: ${file}`);
    else if (!AT_REST.test(rest)) problems.push(`not a finished store file: ${file}`);
  }
  for (const dir of dataDirs) {
    const files = new Set(await filesUnder(join(dir, 'blobs')));
    for (const file of files) {
      const pair = file.endsWith('.json') ? file.slice(0, -5) : `${file}.json`;
      if (!files.has(pair)) problems.push(`blob and receipt do not pair up: ${file}`);
    }
  }
  return problems;
}

/** The ids of the blobs held in a data directory, as plain files or as rows of its small-file table, sorted. */
export async function blobIds(dataDir: string): Promise<string[]> {
  const files = await filesUnder(join(dataDir, 'blobs'));
  const plain = files.filter((file) => !file.endsWith('.json')).map((file) => file.split('/').pop() ?? '');
  return [...plain, ...smallBlobIds(dataDir)].sort();
}

/** The ids of the rows of a data directory's small-file table, read through a connection of its own. */
export function smallBlobIds(dataDir: string): string[] {
  const path = join(dataDir, 'small.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { fileMustExist: true });
  try {
    return (db.prepare('SELECT id FROM blobs ORDER BY id').all() as { id: string }[]).map((row) => row.id);
  } finally {
    db.close();
  }
}
