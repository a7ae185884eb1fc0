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
    const add = async (f: FileRecord, nodes = NODES) =>
      store.addFiles([{ file: f, nodes, target: nodes.length }], 0);
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
      expect(await store.recordStored([stored(f, 'node1')])).toEqual(['unchanged']);
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
        [a, b].map((f) => ({ file: f, nodes: NODES, target: NODES.length })),
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
      expect(await store.recordStored([stored(f, 'node1'), wrong])).toEqual(['unchanged', 'mismatch']);
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
            { file: b, nodes: NODES, target: NODES.length },
            { file: { ...file(), id: a.id }, nodes: NODES, target: 3 },
          ],
          0,
        ),
      ).rejects.toThrow();
      expect(await store.getFile(b.id)).toBeUndefined();
      expect((await store.getFile(a.id))?.name).toBe('a.bin');
    });

    it('hands out due commands under a lease, with their attempts, until they are answered', async () => {
      const f = file();
      await store.addFiles([{ file: f, nodes: NODES, target: NODES.length }], Date.now() + 60_000);
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
      await store.addFiles([{ file: late, nodes: ['node1'], target: 1 }], 2_000);
      await store.addFiles([{ file: early, nodes: ['node1'], target: 1 }], 1_000);
      const due = await store.claimDue(5_000, 1, LEASE_MS);
      expect(due.map((c) => c.file.id)).toEqual([early.id]);
    });

    it('a lost replica is owed again at once; a failed one at its retry time', async () => {
      const f = file();
      await store.addFiles([{ file: f, nodes: NODES, target: NODES.length }], Date.now() + 60_000);
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
      await store.addFiles([{ file: f, nodes: NODES, target: NODES.length }], Date.now() + 60_000);
      expect(await store.markDeleting(f.id, 0)).toEqual(NODES);
      expect(await store.getFile(f.id)).toBeUndefined();
      expect(await store.markDeleting(f.id, 0)).toBeUndefined();
      expect(await store.recordStored([stored(f, 'node1')])).toEqual(['ignored']);
      const due = await store.claimDue(Date.now(), 10, Date.now() + LEASE_MS);
      expect(due.map((c) => [c.kind, c.node, c.state]).sort()).toEqual(
        NODES.map((n) => ['delete', n, 'deleting']),
      );
      for (const node of NODES) expect(await store.recordDeleted(f.id, node)).toBe(true);
      expect(await claim(10 * LEASE_MS)).toEqual([]);
      expect(await store.recordDeleted(f.id, 'node1')).toBe(false);
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

    it('tells a file reaching its target for the first time from one healed after it was degraded', async () => {
      const f = file();
      await add(f);
      expect(await store.markDegraded(f.id)).toBe(false);
      expect(await store.markCompleted(f.id)).toBe('completed');
      expect(await store.markCompleted(f.id)).toBeUndefined();
      expect(await store.markDegraded(f.id)).toBe(true);
      expect(await store.markDegraded(f.id)).toBe(false);
      const other = await fixture.openAnother();
      const [a, b] = await Promise.all([store.markCompleted(f.id), other.markCompleted(f.id)]);
      expect([a, b].filter(Boolean)).toEqual(['healed']);
      expect(await store.markCompleted(randomUUID())).toBeUndefined();
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
        files.map((f) => ({ file: f, nodes: NODES, target: NODES.length })),
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
        await other.addFiles([{ file: f, nodes: NODES, target: NODES.length }], 0);
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

/**
 * The healing queries every MetadataStore adapter must answer alike: displaced replicas,
 * files below their target, new healing rows, trimming extras, what a node's removal risks.
 */
export function healingContract(name: string, open: MetadataFactory): void {
  describe(`MetadataStore healing contract: ${name}`, () => {
    let fixture: MetadataFixture;
    let store: MetadataStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    const placed = async (nodes: string[], target = 3) => {
      const f = file();
      await store.addFiles([{ file: f, nodes, target }], Date.now() + 60_000);
      return f;
    };
    const storedOn = async (f: FileRecord, ...nodes: string[]) =>
      store.recordStored(nodes.map((node) => stored(f, node)));

    it('finds files below their target, fewest verified first, counting only live rows', async () => {
      const full = await placed(NODES);
      await storedOn(full, ...NODES);
      const short = await placed(['node1'], 3);
      const half = await placed(['node1', 'node2'], 3);
      await storedOn(half, 'node1');
      const onDown = await placed(NODES);
      await storedOn(onDown, ...NODES);
      const needs = await store.underReplicated(['node3'], 10);
      // With node3 down, the full file is short of a live copy too.
      expect(needs.map((n) => n.file.id)).toEqual([short.id, half.id, full.id, onDown.id]);
      const byId = new Map(needs.map((n) => [n.file.id, n]));
      expect(byId.get(short.id)).toMatchObject({ target: 3, live: 1, verified: 0, holders: ['node1'] });
      expect(byId.get(half.id)).toMatchObject({ live: 2, verified: 1 });
      expect(byId.get(onDown.id)).toMatchObject({ live: 2, verified: 2 });
      expect(byId.get(onDown.id)?.holders.sort()).toEqual(NODES);
      const allUp = await store.underReplicated([], 10);
      expect(allUp.map((n) => n.file.id)).toEqual([short.id, half.id]);
      expect(await store.underReplicated([], 1)).toHaveLength(1);
    });

    it('adds healing rows that the outbox sends and the status marks', async () => {
      const f = await placed(['node1']);
      await store.addReplicas(f.id, ['node2', 'node3'], 0);
      await store.addReplicas(f.id, ['node2'], 0);
      const status = await store.getFile(f.id);
      expect(status?.nodes.map((n) => [n.node, n.state, n.healing])).toEqual([
        ['node1', 'pending', undefined],
        ['node2', 'pending', true],
        ['node3', 'pending', true],
      ]);
      const due = await store.claimDue(Date.now(), 10, Date.now() + LEASE_MS);
      expect(due.map((c) => c.node).sort()).toEqual(['node2', 'node3']);
      expect(await store.underReplicated([], 10)).toEqual([]);
    });

    it('displaces a node: its verified copies stay marked, its unsettled rows go', async () => {
      const a = await placed(NODES);
      await storedOn(a, 'node1', 'node2', 'node3');
      const b = await placed(NODES);
      await storedOn(b, 'node1');
      expect(await store.displaceReplicas('node3')).toBe(2);
      expect(await store.displaceReplicas('node3')).toBe(0);
      expect((await store.getFile(a.id))?.nodes.find((n) => n.node === 'node3')).toMatchObject({
        state: 'stored',
        displaced: true,
      });
      expect((await store.getFile(b.id))?.nodes.map((n) => n.node)).toEqual(['node1', 'node2']);
      const needs = await store.underReplicated([], 10);
      expect(needs.map((n) => n.file.id).sort()).toEqual([a.id, b.id].sort());
      expect(needs.find((n) => n.file.id === a.id)).toMatchObject({
        live: 2,
        verified: 2,
        displaced: ['node3'],
      });
      expect(await store.restoreReplica(a.id, 'node3')).toBe(true);
      expect(await store.restoreReplica(a.id, 'node3')).toBe(false);
      expect(await store.displaceReplicas('node3')).toBe(1);
      expect(await store.restoreReplicas('node3')).toBe(1);
      expect((await store.getFile(a.id))?.nodes.find((n) => n.node === 'node3')?.displaced).toBeUndefined();
    });

    it('trims a displaced copy only once the file has its target of verified live copies without it', async () => {
      const f = await placed(NODES);
      await storedOn(f, ...NODES);
      await store.displaceReplicas('node3');
      await store.addReplicas(f.id, ['node4'], 0);
      const lease = Date.now() + LEASE_MS;
      expect(await store.trimDisplaced([], 10, lease)).toEqual([]);
      await storedOn(f, 'node4');
      // Not while its node is down: the delete could not reach it.
      expect(await store.trimDisplaced(['node3'], 10, lease)).toEqual([]);
      const trimmed = await store.trimDisplaced([], 10, lease);
      expect(trimmed.map((c) => [c.kind, c.node, c.file.id])).toEqual([['delete', 'node3', f.id]]);
      expect((await store.getFile(f.id))?.nodes.find((n) => n.node === 'node3')?.state).toBe('deleting');
      expect(await store.trimDisplaced([], 10, lease)).toEqual([]);
      await store.recordDeleted(f.id, 'node3');
      expect((await store.getFile(f.id))?.nodes.map((n) => n.node)).toEqual(['node1', 'node2', 'node4']);
    });

    it('counts the files that would fall below their target without a node', async () => {
      const safe = await placed(['node1', 'node2'], 2);
      await storedOn(safe, 'node1', 'node2');
      await store.addReplicas(safe.id, ['node3'], 0);
      await storedOn(safe, 'node3');
      const risky = await placed(['node1', 'node2'], 2);
      await storedOn(risky, 'node1', 'node2');
      expect(await store.countAtRisk('node3', [])).toBe(0);
      expect(await store.countAtRisk('node1', [])).toBe(1);
      expect(await store.countAtRisk('node1', ['node2'])).toBe(2);
      expect(await store.countAtRisk('node9', [])).toBe(0);
    });

    it("lists a node's rows for an id range, by id", async () => {
      const files = await Promise.all([1, 2, 3, 4].map(() => placed(['node1', 'node2'])));
      await Promise.all(files.map((f) => storedOn(f, 'node1')));
      const ids = files.map((f) => f.id).sort();
      const all = await store.replicasOn('node1', '00000000-0000-0000-0000-000000000000', null);
      expect(all.map((r) => r.fileId)).toEqual(ids);
      expect(all[0]).toMatchObject({ state: 'stored', sha256: SHA });
      const middle = await store.replicasOn('node1', ids[1] as string, ids[3] as string);
      expect(middle.map((r) => r.fileId)).toEqual(ids.slice(1, 3));
      expect((await store.replicasOn('node2', ids[0] as string, null)).map((r) => r.state)).toEqual(
        ids.map(() => 'pending'),
      );
    });
  });
}
