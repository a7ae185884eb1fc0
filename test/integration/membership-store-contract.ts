import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MembershipStore } from '../../services/ingest/src/store/membership-store.ts';
import type { FileRecord, MetadataStore } from '../../services/ingest/src/store/metadata-store.ts';

/** A database for one test, with both stores on it. */
export interface MembershipFixture {
  nodes: MembershipStore;
  metadata: MetadataStore;
  /** Another membership store on the same database (a second ingest instance). */
  openAnother(): Promise<MembershipStore>;
  cleanup(): Promise<void>;
}

const beat = (
  node: string,
  atMs: number,
  extra: Partial<Parameters<MembershipStore['recordHeartbeat']>[0]> = {},
) => ({
  node,
  workerId: `${node}-w1`,
  url: `http://127.0.0.1:1/${node}`,
  atMs,
  ...extra,
});

/** The behaviour every MembershipStore adapter must show (see store/membership-store.ts). */
export function membershipStoreContract(name: string, open: () => Promise<MembershipFixture>): void {
  describe(`MembershipStore contract: ${name}`, () => {
    let fixture: MembershipFixture;
    let nodes: MembershipStore;
    beforeEach(async () => {
      fixture = await open();
      nodes = fixture.nodes;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('knows expected nodes before their first heartbeat, and nodes that join by heartbeat', async () => {
      await nodes.expectNodes(['node1', 'node2']);
      await nodes.expectNodes(['node1']);
      await nodes.recordHeartbeat(beat('node2', 1_000, { zone: 'a', freeBytes: 10, totalBytes: 20 }));
      await nodes.recordHeartbeat(beat('node9', 2_000));
      const list = await nodes.listNodes();
      expect(list.map((n) => n.id)).toEqual(['node1', 'node2', 'node9']);
      expect(list[0]).toMatchObject({
        url: null,
        lastSeenMs: null,
        state: null,
        draining: false,
        workers: [],
      });
      expect(list[1]).toMatchObject({
        url: 'http://127.0.0.1:1/node2',
        zone: 'a',
        freeBytes: 10,
        totalBytes: 20,
        lastSeenMs: 1_000,
        workers: [{ id: 'node2-w1', lastSeenMs: 1_000 }],
      });
      await nodes.expectNodes(['node2']);
      expect((await nodes.listNodes())[1]?.lastSeenMs).toBe(1_000);
    });

    it('keeps the latest heartbeat of each worker, whatever order they arrive in', async () => {
      await nodes.recordHeartbeat(beat('node1', 5_000));
      await nodes.recordHeartbeat(beat('node1', 3_000, { workerId: 'node1-w2' }));
      await nodes.recordHeartbeat(beat('node1', 4_000));
      const [node] = await nodes.listNodes();
      expect(node?.lastSeenMs).toBe(5_000);
      expect(node?.workers).toEqual([
        { id: 'node1-w1', lastSeenMs: 5_000 },
        { id: 'node1-w2', lastSeenMs: 3_000 },
      ]);
      // A heartbeat without space figures keeps the last known ones.
      await nodes.recordHeartbeat(beat('node1', 6_000, { freeBytes: 7 }));
      await nodes.recordHeartbeat(beat('node1', 7_000));
      expect((await nodes.listNodes())[0]?.freeBytes).toBe(7);
    });

    it('records derived states, drains with their totals, and removals', async () => {
      const f: FileRecord = {
        id: '11111111-1111-4111-8111-111111111111',
        name: 'a',
        size: 1,
        sha256: 'a'.repeat(64),
        createdAt: new Date().toISOString(),
      };
      await nodes.expectNodes(['node1', 'node2']);
      await fixture.metadata.addFiles([{ file: f, nodes: ['node1', 'node2'], target: 2 }], 0);
      await fixture.metadata.recordStored([
        { fileId: f.id, node: 'node1', sha256: f.sha256, size: 1, storedAt: f.createdAt },
      ]);
      await nodes.setNodeState('node1', 'up');
      expect(await nodes.setDraining('node1', true)).toBe(true);
      expect(await nodes.setDraining('nodeX', true)).toBe(false);
      const [node1] = await nodes.listNodes();
      expect(node1).toMatchObject({ state: 'up', draining: true, drainTotal: 1 });
      expect(await nodes.countReplicasByNode()).toEqual(
        new Map([
          ['node1', { stored: 1, total: 1, healing: 0 }],
          ['node2', { stored: 0, total: 1, healing: 0 }],
        ]),
      );
      await nodes.setDraining('node1', false);
      expect((await nodes.listNodes())[0]?.draining).toBe(false);
      await nodes.recordHeartbeat(beat('node1', 1_000));
      await nodes.removeNode('node1');
      expect((await nodes.listNodes()).map((n) => n.id)).toEqual(['node2']);
      expect((await fixture.metadata.getFile(f.id))?.nodes.map((n) => n.node)).toEqual(['node2']);
      expect(await nodes.setDraining('node1', true)).toBe(false);
      // Its old worker, still running, does not bring it back; a new worker process does.
      expect(await nodes.recordHeartbeat(beat('node1', 2_000))).toBe(false);
      expect((await nodes.listNodes()).map((n) => n.id)).toEqual(['node2']);
      await nodes.expectNodes(['node1']);
      expect((await nodes.listNodes()).map((n) => n.id)).toEqual(['node2']);
      expect(await nodes.recordHeartbeat(beat('node1', 3_000, { workerId: 'node1-w2' }))).toBe(true);
      const [back] = await nodes.listNodes();
      expect(back).toMatchObject({ id: 'node1', state: null, draining: false, lastSeenMs: 3_000 });
    });

    it('grants a lease to one holder at a time until it expires', async () => {
      const other = await fixture.openAnother();
      expect(await nodes.tryLease('healer', 'a', 1_000, 2_000)).toBe(true);
      expect(await other.tryLease('healer', 'b', 1_500, 2_500)).toBe(false);
      expect(await nodes.tryLease('healer', 'a', 1_500, 3_000)).toBe(true);
      expect(await other.tryLease('healer', 'b', 2_500, 3_500)).toBe(false);
      expect(await other.tryLease('healer', 'b', 3_000, 4_000)).toBe(true);
      expect(await nodes.tryLease('healer', 'a', 3_500, 4_500)).toBe(false);
      expect(await nodes.tryLease('another', 'a', 3_500, 4_500)).toBe(true);
    });
  });
}
