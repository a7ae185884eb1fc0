import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Candidate, place } from '../../services/ingest/src/cluster/placement.ts';

const node = (id: string, zone: string | null = null, freeBytes: number | null = 1_000): Candidate => ({
  id,
  zone,
  freeBytes,
});

describe('place', () => {
  it('never picks a node twice, an excluded node, or one too full for the file', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.array(fc.integer({ min: 1, max: 30 })),
        (ids, count, size, excluded) => {
          const candidates = ids.map((i) => node(`n${i}`, `z${i % 3}`, (i * 97) % 2_000));
          const exclude = new Set(excluded.map((i) => `n${i}`));
          const chosen = place(candidates, { count, sizeBytes: size, exclude });
          const fits = candidates.filter((c) => !exclude.has(c.id) && (c.freeBytes ?? 0) >= size);
          expect(new Set(chosen).size).toBe(chosen.length);
          expect(chosen.length).toBe(Math.min(count, fits.length));
          for (const id of chosen) expect(fits.some((c) => c.id === id)).toBe(true);
        },
      ),
    );
  });

  it('spreads a file over zones before putting two replicas in one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        let state = seed;
        const random = () => {
          state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
          return state / 2 ** 31;
        };
        const candidates = ['a', 'a', 'a', 'b', 'b', 'c'].map((zone, i) => node(`n${i}`, zone));
        const zones = place(candidates, { count: 3, sizeBytes: 1 }, random).map(
          (id) => candidates.find((c) => c.id === id)?.zone,
        );
        expect(new Set(zones).size).toBe(3);
      }),
    );
  });

  it('avoids the zones the file already has a replica in', () => {
    const candidates = [node('a1', 'a'), node('b1', 'b'), node('c1', 'c')];
    const chosen = place(candidates, {
      count: 1,
      sizeBytes: 1,
      alongside: [
        { id: 'x', zone: 'a' },
        { id: 'y', zone: 'b' },
      ],
    });
    expect(chosen).toEqual(['c1']);
  });

  it('shares files among equal nodes, and gives a node with more free space more of them', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const counts = new Map<string, number>();
    const candidates = [node('n1'), node('n2'), node('n3'), node('n4'), node('big', null, 4_000)];
    for (let i = 0; i < 4_000; i++) {
      for (const id of place(candidates, { count: 1, sizeBytes: 1 }, random))
        counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const id of ['n1', 'n2', 'n3', 'n4']) expect(counts.get(id)).toBeGreaterThan(400);
    expect(counts.get('big')).toBeGreaterThan(1_600);
  });

  it('weighs a node that reports no free space like an average one', () => {
    const chosen = place([node('known', null, 10), node('silent', null, null)], { count: 2, sizeBytes: 5 });
    expect(chosen.sort()).toEqual(['known', 'silent']);
  });
});
