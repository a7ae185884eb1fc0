import type { MembershipStore, NodeRecord } from '../store/membership-store.ts';

/**
 * A node's state. `up`: heard within a few heartbeats. `suspect`: silent longer (or expected and
 * never heard), still counted and still a placement target of last resort. `down`: silent past
 * the down interval; its copies no longer count and its files are placed elsewhere. `draining`:
 * an operator asked for its files to move off; `drained` once none is left on it.
 */
export type NodeState = 'up' | 'suspect' | 'down' | 'draining' | 'drained';

export interface MembershipOptions {
  /** A node silent this long is suspect: a few missed heartbeats. */
  suspectAfterMs: number;
  /**
   * A node silent this long is down (DFR_NODE_DOWN_AFTER_MS, default 10 min, like Ceph's
   * down-out interval), so a restart or a short outage does not start a replication storm.
   */
  downAfterMs: number;
}

/** A node with the state derived from its record. */
export interface Member extends NodeRecord {
  derived: NodeState;
  /** Workers heard within the suspect interval. */
  liveWorkers: number;
}

/** How long a read of the nodes is reused: heartbeats come every few seconds anyway. */
const CACHE_MS = 1_000;

/**
 * The cluster's nodes and their states, from the heartbeats the metadata records (so every
 * ingest instance sees the same nodes). Silence is measured fairly: not from before this process
 * started (a restarted ingest heard nobody while it was gone), and nobody is declared down while
 * no node at all is heard (a broker outage silences everyone at once; that is not a node loss).
 */
export class Membership {
  private cached: { atMs: number; members: Promise<Member[]> } | undefined;
  private readonly startedAtMs: number;

  constructor(
    private readonly store: MembershipStore,
    private readonly options: MembershipOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAtMs = clock();
  }

  /** Every known node with its state, read at most once a second. */
  members(): Promise<Member[]> {
    const nowMs = this.clock();
    if (!this.cached || nowMs - this.cached.atMs > CACHE_MS) {
      const members = this.store.listNodes().then((records) => this.derive(records, nowMs));
      // A failed read is not kept.
      members.catch(() => {
        if (this.cached?.members === members) this.cached = undefined;
      });
      this.cached = { atMs: nowMs, members };
    }
    return this.cached.members;
  }

  /** Forgets the cached read, after a change this process made. */
  invalidate(): void {
    this.cached = undefined;
  }

  /** Ids of the nodes that are down: their copies do not count. */
  async downNodes(): Promise<Set<string>> {
    return new Set((await this.members()).filter((m) => m.derived === 'down').map((m) => m.id));
  }

  /** The download URL of a node that is not down, if it announced one. */
  async urlOf(node: string): Promise<string | undefined> {
    const member = (await this.members()).find((m) => m.id === node);
    return member && member.derived !== 'down' ? (member.url ?? undefined) : undefined;
  }

  /**
   * The state of each node at `nowMs`. `drainRemaining` (replica rows per node; a node absent
   * has none) tells a draining node with nothing left from one still moving; without it the state
   * last recorded decides.
   */
  derive(
    records: readonly NodeRecord[],
    nowMs: number,
    drainRemaining?: ReadonlyMap<string, number>,
  ): Member[] {
    const { suspectAfterMs, downAfterMs } = this.options;
    const heardSince = (record: NodeRecord) => Math.max(record.lastSeenMs ?? 0, this.startedAtMs);
    const anyoneHeard = records.some((r) => r.lastSeenMs !== null && nowMs - r.lastSeenMs <= suspectAfterMs);
    return records.map((record) => {
      const silentMs = nowMs - heardSince(record);
      let derived: NodeState;
      if (record.lastSeenMs !== null && nowMs - record.lastSeenMs <= suspectAfterMs) derived = 'up';
      else if (silentMs > downAfterMs && anyoneHeard) derived = 'down';
      else derived = 'suspect';
      if (record.draining && derived !== 'down') {
        // A node with no rows at all is missing from the counts: nothing remains on it.
        const empty = drainRemaining
          ? (drainRemaining.get(record.id) ?? 0) === 0
          : record.state === 'drained';
        derived = empty ? 'drained' : 'draining';
      }
      const liveWorkers = record.workers.filter((w) => nowMs - w.lastSeenMs <= suspectAfterMs).length;
      return { ...record, derived, liveWorkers };
    });
  }
}
