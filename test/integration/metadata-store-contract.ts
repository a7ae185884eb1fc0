import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  FileRecord,
  MetadataStore,
  StoredReport,
} from '../../services/ingest/src/store/metadata-store.ts';
import { waitFor } from '../support/wait-for.ts';

/** One database for one test: a store on it, more stores on the same database, and disposal. */
export interface MetadataFixture {
  store: MetadataStore;
  /** Another store on the same database (a restart, or a second ingest instance). */
  openAnother(): Promise<MetadataStore>;
  /** Closes every store opened and drops the database. */
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /**
   * True when separate processes may share the database (PostgreSQL): then a second store's
   * changes must reach the first one's listeners, and claims must not overlap across stores.
   */
  shared: boolean;
}

export type MetadataFactory = () => Promise<MetadataFixture>;

const NODES = ['node1', 'node2', 'node3'];
const SHA = 'a'.repeat(64);
const LEASE_MS = 15_000;

const file = (overrides: Partial<FileRecord> = {}): FileRecord => ({
  id: randomUUID(),
  name: 'a.bin',
  size: 10,
  sha256: SHA,
  createdAt: new Date().toISOString(),
  ...overrides,
});

const stored = (f: FileRecord, node: string, sha256 = f.sha256): StoredReport => ({
  fileId: f.id,
  node,
  sha256,
  size: f.size,
  storedAt: new Date().toISOString(),
});

/**
 * The behaviour every MetadataStore adapter must show (see store/metadata-store.ts). Each test
 * gets a fresh database. Times are passed in, so no test waits for a clock.
 */
export function metadataStoreContract(name: string, open: MetadataFactory, options: ContractOptions): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let fixture: MetadataFixture;
    let store: MetadataStore;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Adds a file placed on `nodes`, its commands due now. */
    const add = async (f: FileRecord, nodes = NODES) => store.addFiles([{ file: f, nodes }], 0);
    /** Claims what is due `msFromNow` from now, as "<node>" or "<kind> <node>" strings. */
    const claim = async (msFromNow = 0, s = store) =>
      (await s.claimDue(Date.now() + msFromNow, 100, Date.now() + msFromNow + LEASE_MS)).map((c) => c.node);

    it('records a file with its replicas pending, and all the fields it was given', async () => {
      const f = file({ contentType: 'image/png', origin: randomUUID() });
      await add(f);
      expect(await store.getFile(f.id)).toEqual({
        ...f,
        replicas: 0,
        target: 3,
        nodes: NODES.map((node) => ({ node, state: 'pending' })),
      });
      expect(await store.getFile(randomUUID())).toBeUndefined();
    });

    it('counts only replicas whose reported SHA-256 matches, and is idempotent about repeats', async () => {
      const f = file();
      await add(f);
      expect(await store.recordStored([stored(f, 'node1')])).toEqual(['stored']);
      expect(await store.recordStored([stored(f, 'node1')])).toEqual(['stored']);
      expect(await store.recordStored([stored(f, 'node2', 'b'.repeat(64))])).toEqual(['mismatch']);
      expect(await store.recordStored([stored(f, 'node9')])).toEqual(['ignored']);
      expect(await store.recordStored([{ ...stored(f, 'node3'), size: 11 }])).toEqual(['mismatch']);
      const status = await store.getFile(f.id);
      expect(status?.replicas).toBe(1);
      expect(status?.nodes.map((n) => n.state)).toEqual(['stored', 'pending', 'pending']);
      expect(status?.nodes[0]).toMatchObject({ node: 'node1', sha256: SHA, size: 10 });
      expect(status?.nodes[1]?.reason).toMatch(/SHA-256/);
    });

    it('records a batch of reports like one call each, in order, in one go', async () => {
      const [a, b] = [file(), file()];
      const gone = file();
      await store.addFiles(
        [a, b].map((f) => ({ file: f, nodes: NODES })),
        0,
      );
      const outcomes = await store.recordStored([
        stored(a, 'node1'),
        stored(b, 'node1', 'b'.repeat(64)),
        stored(gone, 'node1'),
        stored(a, 'node2'),
      ]);
      expect(outcomes).toEqual(['stored', 'mismatch', 'ignored', 'stored']);
      expect((await store.getFile(a.id))?.replicas).toBe(2);
      expect((await store.getFile(b.id))?.replicas).toBe(0);
      expect(await store.recordStored([])).toEqual([]);
    });

    it('leaves a copy reported twice in one batch as its last report says', async () => {
      const f = file();
      await add(f);
      const wrong = stored(f, 'node1', 'b'.repeat(64));
      expect(await store.recordStored([wrong, stored(f, 'node1')])).toEqual(['mismatch', 'stored']);
      expect((await store.getFile(f.id))?.nodes[0]?.state).toBe('stored');
      expect(await store.recordStored([stored(f, 'node1'), wrong])).toEqual(['stored', 'mismatch']);
      const status = await store.getFile(f.id);
      expect(status?.nodes[0]?.state).toBe('pending');
      expect(status?.nodes[0]?.reason).toMatch(/SHA-256/);
      expect(status?.replicas).toBe(0);
    });

    it('adds a batch of files all or none', async () => {
      const a = file();
      await add(a);
      const b = file();
      await expect(
        store.addFiles(
          [
            { file: b, nodes: NODES },
            { file: { ...file(), id: a.id }, nodes: NODES },
          ],
          0,
        ),
      ).rejects.toThrow();
      expect(await store.getFile(b.id)).toBeUndefined();
      expect((await store.getFile(a.id))?.name).toBe('a.bin');
    });

    it('hands out due commands under a lease, with their attempts, until they are answered', async () => {
      const f = file();
      await store.addFiles([{ file: f, nodes: NODES }], Date.now() + 60_000);
      expect(await claim()).toEqual([]);
      expect((await claim(61_000)).sort()).toEqual(NODES);
      // Leased: nobody else gets them until the lease ends.
      expect(await claim(61_000)).toEqual([]);
      const now = Date.now();
      await store.schedule('node1', [{ fileId: f.id, dueAtMs: now + 1_000 }], true);
      await store.schedule('node2', [{ fileId: f.id, dueAtMs: now }], false);
      const [node2] = await store.claimDue(now, 10, now + LEASE_MS);
      expect(node2).toMatchObject({ kind: 'replicate', node: 'node2', state: 'pending', attempts: 0 });
      expect(node2?.file).toEqual(f);
      await store.recordStored([stored(f, 'node2')]);
      const [node1] = await store.claimDue(now + 1_000, 10, now + 1_000 + LEASE_MS);
      expect(node1).toMatchObject({ node: 'node1', attempts: 1 });
      // An answered replica is never due again, whatever its schedule says.
      await store.schedule('node2', [{ fileId: f.id, dueAtMs: 0 }], true);
      expect(await claim(10 * LEASE_MS)).not.toContain('node2');
    });

    it('hands out the earliest due first and no more than asked', async () => {
      const [late, early] = [file(), file()];
      await store.addFiles([{ file: late, nodes: ['node1'] }], 2_000);
      await store.addFiles([{ file: early, nodes: ['node1'] }], 1_000);
      const due = await store.claimDue(5_000, 1, LEASE_MS);
      expect(due.map((c) => c.file.id)).toEqual([early.id]);
    });

    it('a lost replica is owed again at once; a failed one at its retry time', async () => {
      const f = file();
      await store.addFiles([{ file: f, nodes: NODES }], Date.now() + 60_000);
      await store.recordStored([stored(f, 'node1')]);
      const retryAt = Date.now() + 120_000;
      expect(await store.recordFailed(f.id, 'node2', 'disk full', retryAt)).toBe(true);
      expect(await store.recordFailed(f.id, 'node2', 'again', retryAt)).toBe(false);
      expect(await store.recordLost(f.id, 'node1', 'scrub')).toBe(true);
      expect(await store.recordLost(randomUUID(), 'node1', 'scrub')).toBe(false);
      const status = await store.getFile(f.id);
      expect(status?.nodes.map((n) => [n.state, n.reason])).toEqual([
        ['pending', 'scrub'],
        ['failed', 'disk full'],
        ['pending', undefined],
      ]);
      expect(await claim()).toEqual(['node1']);
      const failed = (await store.claimDue(retryAt, 10, retryAt + LEASE_MS)).find((c) => c.node === 'node2');
      expect(failed).toMatchObject({ kind: 'replicate', state: 'failed' });
      expect(await store.recordStored([stored(f, 'node2')])).toEqual(['stored']);
      expect((await store.getFile(f.id))?.nodes.map((n) => n.state)).toEqual([
        'pending',
        'stored',
        'pending',
      ]);
    });

    it('a delete is due for every replica until each node confirms; then the file is forgotten', async () => {
      const f = file();
      await store.addFiles([{ file: f, nodes: NODES }], Date.now() + 60_000);
      expect(await store.markDeleting(f.id, 0)).toEqual(NODES);
      expect(await store.getFile(f.id)).toBeUndefined();
      expect(await store.markDeleting(f.id, 0)).toBeUndefined();
      expect(await store.recordStored([stored(f, 'node1')])).toEqual(['ignored']);
      const due = await store.claimDue(Date.now(), 10, Date.now() + LEASE_MS);
      expect(due.map((c) => [c.kind, c.node, c.state]).sort()).toEqual(
        NODES.map((n) => ['delete', n, 'deleting']),
      );
      for (const node of NODES) await store.recordDeleted(f.id, node);
      expect(await claim(10 * LEASE_MS)).toEqual([]);
      await store.recordDeleted(f.id, 'node1');
      expect(await store.markDeleting(randomUUID(), 0)).toBeUndefined();
    });

    it('lists newest first in pages that neither skip nor repeat', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const f = file();
        await add(f);
        ids.push(f.id);
      }
      const deleted = file();
      await add(deleted);
      await store.markDeleting(deleted.id, 0);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listFiles(3, cursor);
        expect(page.files.length).toBeLessThanOrEqual(3);
        seen.push(...page.files.map((f) => f.id));
        cursor = page.next ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      for (const listed of (await store.listFiles(10)).files) {
        expect(listed.nodes.map((n) => n.node)).toEqual(NODES);
        expect(listed).toEqual(await store.getFile(listed.id));
      }
      expect((await store.listFiles(7)).next).toBeNull();
    });

    it('keeps what was committed across a reopen', async () => {
      const f = file();
      await add(f);
      await store.recordStored([stored(f, 'node2')]);
      const reopened = await fixture.openAnother();
      expect(await reopened.getFile(f.id)).toEqual(await store.getFile(f.id));
    });

    it('tells listeners which file changed, for every change a status shows', async () => {
      const heard: string[] = [];
      const stop = store.onChange((fileId) => heard.push(fileId));
      const f = file();
      await add(f);
      await store.recordStored([stored(f, 'node1')]);
      await store.recordFailed(f.id, 'node2', 'x', 0);
      await store.recordLost(f.id, 'node1', 'y');
      await store.markDeleting(f.id, 0);
      await waitFor(() => heard.filter((id) => id === f.id).length >= 5, 5_000, 'five changes heard');
      stop();
      const g = file();
      await add(g);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).not.toContain(g.id);
    });

    it('keeps a registry of instances: the latest URL of each, and when it was last seen', async () => {
      expect(await store.listInstances()).toEqual([]);
      const [a = '', b = ''] = [randomUUID(), randomUUID()].sort();
      await store.announceInstance(a, 'http://a:9000', 1_000);
      await store.announceInstance(b, 'http://b:9000', 2_000);
      await store.announceInstance(a, 'http://a2:9000', 3_000);
      // An announcement that arrives late never moves the time back.
      await store.announceInstance(b, 'http://b:9000', 1_500);
      const expected = [
        { id: a, url: 'http://a2:9000', lastSeenMs: 3_000 },
        { id: b, url: 'http://b:9000', lastSeenMs: 2_000 },
      ];
      expect(await store.listInstances()).toEqual(expected);
      expect(await (await fixture.openAnother()).listInstances()).toEqual(expected);
    });

    it('keeps sizes beyond 4 GiB exact', async () => {
      const f = file({ size: 10 * 1024 ** 3 + 7 });
      await add(f);
      expect((await store.getFile(f.id))?.size).toBe(f.size);
      expect(await store.recordStored([stored(f, 'node1')])).toEqual(['stored']);
      expect((await store.getFile(f.id))?.nodes[0]?.size).toBe(f.size);
    });

    it('never hands the same command to two claimers at once', async () => {
      const claimers = options.shared ? [store, await fixture.openAnother()] : [store];
      const files = Array.from({ length: 40 }, () => file());
      await store.addFiles(
        files.map((f) => ({ file: f, nodes: NODES })),
        0,
      );
      const now = Date.now();
      const claims = await Promise.all(
        [0, 1, 2, 3].map((i) => claimers[i % claimers.length]?.claimDue(now, 50, now + LEASE_MS) ?? []),
      );
      const keys = claims.flat().map((c) => `${c.file.id} ${c.node}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(files.length * NODES.length);
    });

    if (!options.shared) return;

    describe('shared by several processes', () => {
      it('hears changes made through another store', async () => {
        const other = await fixture.openAnother();
        const heard: string[] = [];
        const stop = store.onChange((fileId) => heard.push(fileId));
        const f = file();
        await other.addFiles([{ file: f, nodes: NODES }], 0);
        await other.recordStored([stored(f, 'node1')]);
        await waitFor(
          () => heard.filter((id) => id === f.id).length >= 2,
          5_000,
          'changes from another store',
        );
        stop();
      });
    });
  });
}
