import { describe, expect, it } from 'vitest';
import { Batcher, type BatchLimits } from '../../shared/src/batcher.ts';

/** Limits loose enough that only the one a test is about ever applies. */
const loose: BatchLimits = { maxItems: 1000, maxBytes: 1_000_000, maxInFlight: 1000 };

/** One call of `send`: what it got, and how to finish it. */
interface Call {
  key: string;
  items: string[];
  finish: (sent: boolean) => void;
}

/** A `send` that resolves only when the test finishes the call. */
function heldSend() {
  const calls: Call[] = [];
  const send = (key: string, items: string[]) =>
    new Promise<boolean[]>((resolve) =>
      calls.push({ key, items, finish: (sent) => resolve(items.map(() => sent)) }),
    );
  return { calls, send };
}

/** A `send` that takes every batch at once. */
function takingSend() {
  const batches: [string, string[]][] = [];
  const send = async (key: string, items: string[]) => {
    batches.push([key, items]);
    return items.map(() => true);
  };
  return { batches, send };
}

/** One turn of the event loop: what was scheduled for the next turn before this call has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Several turns, so that whatever a finished send set off has happened. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextTurn();
}

/** Whether a promise has resolved yet, and with what. */
function watch<T>(promise: Promise<T>): { done: boolean; value?: T } {
  const state: { done: boolean; value?: T } = { done: false };
  void promise.then((value) => {
    state.done = true;
    state.value = value;
  });
  return state;
}

const byLength = (item: string) => item.length;

describe('Batcher', () => {
  it('sends the items added in one turn in one batch', async () => {
    const { batches, send } = takingSend();
    const batcher = new Batcher(send, loose, byLength);
    const added = ['a', 'b', 'c'].map((item) => batcher.add('node1', item));
    expect(batches).toEqual([]);
    expect(await Promise.all(added)).toEqual([true, true, true]);
    expect(batches).toEqual([['node1', ['a', 'b', 'c']]]);
  });

  it('sends an item of an idle key alone, on the next turn', async () => {
    const { batches, send } = takingSend();
    const batcher = new Batcher(send, loose, byLength);
    await batcher.add('node1', 'first');
    void batcher.add('node1', 'second');
    expect(batches).toEqual([['node1', ['first']]]);
    await nextTurn();
    expect(batches).toEqual([
      ['node1', ['first']],
      ['node1', ['second']],
    ]);
  });

  it('splits at maxItems', async () => {
    const { batches, send } = takingSend();
    const batcher = new Batcher(send, { ...loose, maxItems: 2 }, byLength);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((item) => batcher.add('node1', item)));
    expect(batches.map(([, items]) => items)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('splits at maxBytes, by sizeOf; a batch may fill maxBytes exactly', async () => {
    const { batches, send } = takingSend();
    const batcher = new Batcher(send, { ...loose, maxBytes: 10 }, byLength);
    await Promise.all(
      ['aaaa', 'bbbb', 'cc', 'ddddd', 'eeeee', 'f'].map((item) => batcher.add('node1', item)),
    );
    expect(batches.map(([, items]) => items)).toEqual([['aaaa', 'bbbb', 'cc'], ['ddddd', 'eeeee'], ['f']]);
  });

  it('sends an item larger than maxBytes alone', async () => {
    const { batches, send } = takingSend();
    const batcher = new Batcher(send, { ...loose, maxBytes: 10 }, byLength);
    const big = 'x'.repeat(25);
    const added = ['s1', big, 's2', 's3'].map((item) => batcher.add('node1', item));
    expect(await Promise.all(added)).toEqual([true, true, true, true]);
    expect(batches.map(([, items]) => items)).toEqual([['s1'], [big], ['s2', 's3']]);
  });

  it('has at most maxInFlight batches of a key on their way; items added meanwhile go in the next', async () => {
    const { calls, send } = heldSend();
    const batcher = new Batcher(send, { ...loose, maxInFlight: 2 }, byLength);
    const a = watch(batcher.add('node1', 'a'));
    await nextTurn();
    const b = watch(batcher.add('node1', 'b'));
    await nextTurn();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b']]);

    const c = watch(batcher.add('node1', 'c'));
    const d = watch(batcher.add('node1', 'd'));
    await settle();
    const e = watch(batcher.add('node1', 'e'));
    await settle();
    expect(calls).toHaveLength(2);
    expect([a, b, c, d, e].map((w) => w.done)).toEqual([false, false, false, false, false]);

    calls[1]?.finish(true);
    await settle();
    expect(b).toEqual({ done: true, value: true });
    expect(calls.map((call) => call.items)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    expect([a, c, d, e].map((w) => w.done)).toEqual([false, false, false, false]);

    // Two on their way again (a and c, d, e): f waits for one of them.
    const f = watch(batcher.add('node1', 'f'));
    await settle();
    expect(calls).toHaveLength(3);
    calls[0]?.finish(true);
    await settle();
    expect(calls.map((call) => call.items)).toEqual([['a'], ['b'], ['c', 'd', 'e'], ['f']]);

    calls[2]?.finish(true);
    calls[3]?.finish(true);
    await settle();
    expect([a, b, c, d, e, f]).toEqual(Array(6).fill({ done: true, value: true }));
  });

  it('sends at most maxInFlight batches at once even when maxItems splits a turn into more', async () => {
    const { calls, send } = heldSend();
    const batcher = new Batcher(send, { ...loose, maxItems: 1, maxInFlight: 2 }, byLength);
    for (const item of ['a', 'b', 'c', 'd']) void batcher.add('node1', item);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b']]);
    calls[0]?.finish(true);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b'], ['c']]);
  });

  it('does not hold one key back for another', async () => {
    const { calls, send } = heldSend();
    const batcher = new Batcher(send, { ...loose, maxInFlight: 1 }, byLength);
    void batcher.add('node1', 'a');
    await settle();
    void batcher.add('node1', 'b');
    const other = watch(batcher.add('node2', 'x'));
    await settle();
    expect(calls.map((c) => [c.key, c.items])).toEqual([
      ['node1', ['a']],
      ['node2', ['x']],
    ]);
    calls[1]?.finish(true);
    await settle();
    expect(other).toEqual({ done: true, value: true });
    expect(calls).toHaveLength(2);
  });

  it("resolves each add with what its batch's send resolved with", async () => {
    const { calls, send } = heldSend();
    const batcher = new Batcher(send, { ...loose, maxItems: 2 }, byLength);
    const added = ['a', 'b', 'c', 'd'].map((item) => watch(batcher.add('node1', item)));
    await settle();
    expect(calls.map((c) => c.items)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    calls[0]?.finish(false);
    calls[1]?.finish(true);
    await settle();
    expect(added).toEqual([
      { done: true, value: false },
      { done: true, value: false },
      { done: true, value: true },
      { done: true, value: true },
    ]);
  });

  it('keeps sending after a batch that was not taken', async () => {
    const outcomes = [false, true];
    const batcher = new Batcher(
      async (_key, items: string[]) => items.map(() => outcomes.shift() ?? true),
      loose,
      byLength,
    );
    expect(await batcher.add('node1', 'a')).toBe(false);
    expect(await batcher.add('node1', 'b')).toBe(true);
  });

  it('gives each item the outcome send returned for it', async () => {
    const batcher = new Batcher(
      async (_key, items: string[]) => items.map((item) => item.toUpperCase()),
      loose,
      byLength,
    );
    expect(await Promise.all(['a', 'b', 'c'].map((item) => batcher.add('k', item)))).toEqual(['A', 'B', 'C']);
  });

  it('rejects every item of a batch whose send rejected, and sends the next batch', async () => {
    let fail = true;
    const batcher = new Batcher(
      async (_key, items: string[]) => {
        if (fail) throw new Error('disk gone');
        return items;
      },
      loose,
      byLength,
    );
    const first = ['a', 'b'].map((item) => batcher.add('k', item));
    await expect(Promise.all(first)).rejects.toThrow('disk gone');
    await expect(first[1]).rejects.toThrow('disk gone');
    fail = false;
    expect(await batcher.add('k', 'c')).toBe('c');
  });

  it('rejects the items a send left without an outcome', async () => {
    const batcher = new Batcher(async (_key, items: string[]) => items.slice(1), loose, byLength);
    const added = ['a', 'b'].map((item) => batcher.add('k', item));
    expect(await added[0]).toBe('b');
    await expect(added[1]).rejects.toThrow('1 outcomes for 2 items');
  });
});
