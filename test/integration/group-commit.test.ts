import { describe, expect, it } from 'vitest';
import type { FileRecord, NewFile } from '../../services/ingest/src/store/metadata-store.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';
import { GroupCommit } from '../../services/ingest/src/uploads/group-commit.ts';

const NODES = ['node1', 'node2'];

function file(n: number, id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`): FileRecord {
  return { id, name: `f${n}`, size: n, sha256: 'a'.repeat(64), createdAt: new Date(0).toISOString() };
}

const entry = (f: FileRecord): NewFile => ({ file: f, nodes: NODES, target: NODES.length });

/** A store that counts its transactions. */
function countingStore() {
  const store = new SqliteMetadataStore(':memory:');
  const batches: number[] = [];
  const addFiles = store.addFiles.bind(store);
  store.addFiles = async (entries, dueAtMs) => {
    batches.push(entries.length);
    await addFiles(entries, dueAtMs);
  };
  return { store, batches };
}

describe('GroupCommit', () => {
  it('commits the files added in one turn of the event loop in one transaction', async () => {
    const { store, batches } = countingStore();
    const commits = new GroupCommit(store);
    await Promise.all([1, 2, 3, 4, 5].map((n) => commits.addFile(entry(file(n)), 0)));
    expect(batches).toEqual([5]);
    for (const n of [1, 2, 3, 4, 5]) {
      expect((await store.getFile(file(n).id))?.nodes.map((r) => r.state)).toEqual(['pending', 'pending']);
    }
    await commits.addFile(entry(file(6)), 0);
    expect(batches).toEqual([5, 1]);
  });

  it('fails only the file that cannot be recorded; the others of its batch are committed', async () => {
    const { store } = countingStore();
    const commits = new GroupCommit(store);
    await commits.addFile(entry(file(1)), 0);
    const outcomes = await Promise.allSettled([
      commits.addFile(entry(file(2)), 0),
      commits.addFile(entry(file(3, file(1).id)), 0), // the same id again
      commits.addFile(entry(file(4)), 0),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.getFile(file(2).id)).toBeDefined();
    expect(await store.getFile(file(4).id)).toBeDefined();
    expect((await store.getFile(file(1).id))?.size).toBe(1);
  });

  it('commits what arrives during a commit in the next one, together', async () => {
    const { store, batches } = countingStore();
    const commits = new GroupCommit(store);
    const first = commits.addFile(entry(file(1)), 0);
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, ...[2, 3, 4].map((n) => commits.addFile(entry(file(n)), 0))]);
    expect(batches).toEqual([1, 3]);
  });
});
