import type { MembershipStore } from '../store/membership-store.ts';
import type { Member, Membership, NodeState } from './membership.ts';

/** A node as `GET /nodes` shows it (API.md, "Cluster membership"). */
export interface NodeView {
  id: string;
  url: string | null;
  /** True when `up`. */
  healthy: boolean;
  lastSeen: string | null;
  state: NodeState;
  zone: string | null;
  freeBytes: number | null;
  totalBytes: number | null;
  /** Verified replicas it holds. */
  files: number;
  /** Healing copies on their way to it. */
  healing: number;
  /** Worker processes heard from recently. */
  workers: number;
  /** While draining: replica rows still on it, of those it had when the drain began. */
  drain?: { remaining: number; total: number };
}

/** Every node with its state and counts, read fresh from the metadata. */
export async function nodeViews(membership: Membership, store: MembershipStore): Promise<NodeView[]> {
  const [records, counts] = await Promise.all([store.listNodes(), store.countReplicasByNode()]);
  const remaining = new Map([...counts].map(([node, c]) => [node, c.total]));
  return membership.derive(records, Date.now(), remaining).map((member) => {
    const count = counts.get(member.id);
    return viewOf(member, count?.stored ?? 0, count?.healing ?? 0, count?.total ?? 0);
  });
}

function viewOf(member: Member, files: number, healing: number, rows: number): NodeView {
  return {
    id: member.id,
    url: member.url,
    healthy: member.derived === 'up',
    lastSeen: member.lastSeenMs === null ? null : new Date(member.lastSeenMs).toISOString(),
    state: member.derived,
    zone: member.zone,
    freeBytes: member.freeBytes,
    totalBytes: member.totalBytes,
    files,
    healing,
    workers: member.liveWorkers,
    ...(member.draining ? { drain: { remaining: rows, total: Math.max(member.drainTotal, rows) } } : {}),
  };
}
