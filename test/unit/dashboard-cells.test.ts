import { describe, expect, it } from 'vitest';
import { cellState, columnsFor, humanAge } from '../../services/dashboard/src/format.ts';
import { ReplicaTally } from '../../shared/src/live/replica-tally.ts';

const SHA = 'a'.repeat(64);

describe('a file cell on the dashboard', () => {
  it.each([
    [undefined, 'none'],
    [{ node: 'n', state: 'stored', sha256: SHA }, 'stored'],
    [{ node: 'n', state: 'stored', sha256: 'b'.repeat(64) }, 'failed'],
    [{ node: 'n', state: 'stored', sha256: SHA, nodeDown: true as const }, 'down'],
    [{ node: 'n', state: 'pending' }, 'pending'],
    [{ node: 'n', state: 'pending', healing: true as const }, 'healing'],
    [{ node: 'n', state: 'pending', reason: 'scrub: SHA-256 differs' }, 'missing'],
    [{ node: 'n', state: 'failed', reason: 'disk full' }, 'failed'],
    [{ node: 'n', state: 'deleting' }, 'deleting'],
  ])('%o shows %s', (receipt, state) => {
    expect(cellState(receipt, SHA)).toBe(state);
  });

  it('gives a column to every node listed, then to nodes only receipts name', () => {
    const file = { nodes: [{ node: 'gone', state: 'stored' }] };
    expect(columnsFor(['node1', 'node2'], [file])).toEqual(['node1', 'node2', 'gone']);
  });

  it('prints ages in their largest units', () => {
    expect(humanAge(42)).toBe('42 s');
    expect(humanAge(185)).toBe('3 min 5 s');
    expect(humanAge(7_800)).toBe('2 h 10 min');
  });
});

describe('ReplicaTally', () => {
  const status = (nodes: object[]) => ({ type: 'status', data: { sha256: SHA, target: 3, nodes } });

  it('starts from the status and counts each verified copy that lands', () => {
    const tally = new ReplicaTally();
    tally.apply(
      status([
        { node: 'a', state: 'stored', sha256: SHA },
        { node: 'b', state: 'pending' },
      ]),
    );
    expect([tally.count, tally.target, tally.whole]).toEqual([1, 3, false]);
    expect(tally.apply({ type: 'replica.stored', data: { node: 'b', sha256: SHA } })).toBe(true);
    expect(tally.apply({ type: 'replica.stored', data: { node: 'b', sha256: SHA } })).toBe(false);
    tally.apply({ type: 'replica.stored', data: { node: 'c', sha256: 'f'.repeat(64) } });
    expect(tally.count).toBe(2);
    tally.apply({ type: 'replica.stored', data: { node: 'c', sha256: SHA } });
    expect([tally.count, tally.whole]).toEqual([3, true]);
  });

  it('does not count copies on down nodes, and drops lost ones', () => {
    const tally = new ReplicaTally();
    tally.apply(
      status([
        { node: 'a', state: 'stored', sha256: SHA },
        { node: 'b', state: 'stored', sha256: SHA, nodeDown: true },
      ]),
    );
    expect(tally.count).toBe(1);
    tally.apply({ type: 'replica.lost', data: { node: 'a' } });
    expect(tally.count).toBe(0);
  });

  it('takes the server at its word on file.completed and notes a delete', () => {
    const tally = new ReplicaTally();
    tally.apply({ type: 'file.completed', data: { replicas: 2, target: 2 } });
    expect(tally.whole).toBe(true);
    tally.apply({ type: 'file.deleted', data: {} });
    expect(tally.deleted).toBe(true);
  });
});
