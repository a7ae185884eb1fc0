import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../services/ingest/src/store/event-store.ts';

export interface EventFixture {
  events: EventStore;
  /** Another store on the same database (a second instance). */
  openAnother(): Promise<EventStore>;
  cleanup(): Promise<void>;
}

const at = () => new Date().toISOString();

/** The behaviour every EventStore adapter must show (see store/event-store.ts). */
export function eventStoreContract(name: string, open: () => Promise<EventFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventFixture;
    let events: EventStore;
    beforeEach(async () => {
      fixture = await open();
      events = fixture.events;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('gives events increasing ids in the order appended, and reads them back as they were', async () => {
      expect(await events.lastId()).toBe(0);
      const fileId = randomUUID();
      const when = at();
      await events.append([
        { type: 'file.received', fileId, at: when, data: { name: 'a.bin', size: 3, nodes: ['node1'] } },
        { type: 'replica.stored', fileId, node: 'node1', at: when },
        { type: 'node.down', node: 'node2', at: when, data: {} },
      ]);
      const read = await events.read({ limit: 10 });
      expect(read.map((e) => e.type)).toEqual(['file.received', 'replica.stored', 'node.down']);
      expect(read[0]).toEqual({
        id: read[0]?.id,
        type: 'file.received',
        fileId,
        at: when,
        data: { name: 'a.bin', size: 3, nodes: ['node1'] },
      });
      expect(read[2]).toEqual({ id: read[2]?.id, type: 'node.down', node: 'node2', at: when });
      const ids = read.map((e) => e.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
      expect(await events.lastId()).toBe(ids[2]);
    });

    it('reads after an id, a page at a time, and one file alone', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      for (let i = 0; i < 5; i++) {
        await events.append([
          { type: 'replica.stored', fileId: i % 2 === 0 ? a : b, node: `node${i}`, at: at() },
        ]);
      }
      const all = await events.read({ limit: 100 });
      const page = await events.read({ afterId: all[1]?.id, limit: 2 });
      expect(page.map((e) => e.id)).toEqual(all.slice(2, 4).map((e) => e.id));
      expect((await events.read({ fileId: a, limit: 100 })).map((e) => e.node)).toEqual([
        'node0',
        'node2',
        'node4',
      ]);
      expect((await events.read({ fileId: b, afterId: all[1]?.id, limit: 100 })).map((e) => e.node)).toEqual([
        'node3',
      ]);
    });

    it("sees another store's appends, and keeps only the newest when trimmed", async () => {
      const other = await fixture.openAnother();
      for (let i = 0; i < 6; i++) await (i % 2 ? other : events).append([{ type: `t${i}`, at: at() }]);
      expect((await events.read({ limit: 100 })).map((e) => e.type)).toEqual([
        't0',
        't1',
        't2',
        't3',
        't4',
        't5',
      ]);
      expect(await events.trim(4)).toBe(2);
      expect((await other.read({ limit: 100 })).map((e) => e.type)).toEqual(['t2', 't3', 't4', 't5']);
      expect(await events.trim(10)).toBe(0);
      await events.append([]);
    });
  });
}
