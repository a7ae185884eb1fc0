import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../services/ingest/src/group-commit.ts';
import type { FileRecord } from '../../services/ingest/src/metadata-store.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/sqlite-metadata-store.ts';

const NODES = ['node1', 'node2'];

function file(n: number, id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`): FileRecord {
  return { id, name: `f${n}`, size: n, sha256: 'a'.repeat(64), createdAt: new Date(0).toISOString() };
}

/** A store that counts its transactions. */
function countingStore() {
  const store = new SqliteMetadataStore(':memory:');
  const batches: number[] = [];
  const addFiles = store.addFiles.bind(store);
  store.addFiles = (entries) => {
    batches.push(entries.length);
    addFiles(entries);
  };
  return { store, batches };
}

describe('GroupCommit', () => {
  it('commits the files added in one turn of the event loop in one transaction', async () => {
    const { store, batches } = countingStore();
    const commits = new GroupCommit(store);
    await Promise.all([1, 2, 3, 4, 5].map((n) => commits.addFile(file(n), NODES)));
    expect(batches).toEqual([5]);
    for (const n of [1, 2, 3, 4, 5]) {
      expect(store.getFile(file(n).id)?.nodes.map((r) => r.state)).toEqual(['pending', 'pending']);
    }
    await commits.addFile(file(6), NODES);
    expect(batches).toEqual([5, 1]);
  });

  it('fails only the file that cannot be recorded; the others of its batch are committed', async () => {
    const { store } = countingStore();
    const commits = new GroupCommit(store);
    await commits.addFile(file(1), NODES);
    const outcomes = await Promise.allSettled([
      commits.addFile(file(2), NODES),
      commits.addFile(file(3, file(1).id), NODES), // the same id again
      commits.addFile(file(4), NODES),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.getFile(file(2).id)).toBeDefined();
    expect(store.getFile(file(4).id)).toBeDefined();
    expect(store.getFile(file(1).id)?.size).toBe(1);
  });
});
