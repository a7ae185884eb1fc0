import { describe, expect, it } from 'vitest';
import { Membership } from '../../services/ingest/src/cluster/membership.ts';
import type { MembershipStore, NodeRecord } from '../../services/ingest/src/store/membership-store.ts';

const record = (id: string, lastSeenMs: number | null, extra: Partial<NodeRecord> = {}): NodeRecord => ({
  id,
  url: lastSeenMs === null ? null : `http://${id}`,
  zone: null,
  freeBytes: null,
  totalBytes: null,
  lastSeenMs,
  state: null,
  draining: false,
  drainTotal: 0,
  workers: lastSeenMs === null ? [] : [{ id: `${id}-w`, lastSeenMs }],
  ...extra,
});

/** A membership whose process started at `startedAtMs`, deriving states without a store. */
function membership(startedAtMs: number) {
  return new Membership(
    {} as MembershipStore,
    { suspectAfterMs: 15_000, downAfterMs: 600_000 },
    () => startedAtMs,
  );
}

describe('Membership.derive', () => {
  const start = 1_000_000_000;

  it('is up within the suspect interval, suspect after it, down after the down interval', () => {
    const now = start + 10_000_000;
    const states = membership(start)
      .derive([record('up', now - 5_000), record('quiet', now - 60_000), record('gone', now - 700_000)], now)
      .map((m) => [m.id, m.derived, m.liveWorkers]);
    expect(states).toEqual([
      ['up', 'up', 1],
      ['quiet', 'suspect', 0],
      ['gone', 'down', 0],
    ]);
  });

  it('does not count silence from before this process started', () => {
    const now = start + 60_000;
    const [restarted] = membership(start).derive([record('old', start - 3_600_000), record('up', now)], now);
    expect(restarted?.derived).toBe('suspect');
  });

  it('declares nobody down while nobody at all is heard (a broker outage, not a node loss)', () => {
    const now = start + 10_000_000;
    const states = membership(start).derive([record('a', now - 700_000), record('b', now - 800_000)], now);
    expect(states.map((m) => m.derived)).toEqual(['suspect', 'suspect']);
  });

  it('keeps an expected node that never spoke suspect until the down interval has passed since start', () => {
    expect(
      membership(start).derive([record('new', null), record('up', start + 1_000)], start + 1_000)[0]?.derived,
    ).toBe('suspect');
    const later = start + 700_000;
    expect(membership(start).derive([record('new', null), record('up', later)], later)[0]?.derived).toBe(
      'down',
    );
  });

  it('is draining while copies remain, drained once none does, and down wins over both', () => {
    const now = start + 10_000_000;
    const nodes = [
      record('moving', now, { draining: true }),
      record('empty', now, { draining: true }),
      record('dead', now - 700_000, { draining: true }),
    ];
    const remaining = new Map([
      ['moving', 4],
      ['empty', 0],
    ]);
    expect(
      membership(start)
        .derive(nodes, now, remaining)
        .map((m) => m.derived),
    ).toEqual(['draining', 'drained', 'down']);
    // Without counts, the state last recorded decides.
    const recorded = [record('empty', now, { draining: true, state: 'drained' })];
    expect(membership(start).derive(recorded, now)[0]?.derived).toBe('drained');
  });
});
