import { Gauge, Histogram, type Registry } from 'prom-client';
import { ageSeconds, type ClusterStats } from '../cluster/cluster-stats.ts';
import type { Membership } from '../cluster/membership.ts';

export interface IngestMetrics {
  /** Upload to each verified replica (`kind="replica"`) and to the file's target (`kind="target"`). */
  replicationSeconds: Histogram<'kind'>;
}

/**
 * The cluster as ingest sees it, on /metrics (API.md names): files, replicas by state, files
 * under-replicated, the oldest pending replica, commands due, per-node queue backlog and
 * consumers, the dead-letter backlog, nodes by state, and how long replication takes. Gauges
 * are read when scraped, so they cost nothing between scrapes.
 */
export function registerIngestMetrics(
  registry: Registry,
  deps: { cluster: ClusterStats; membership: Membership },
): IngestMetrics {
  const stats = deps.cluster.stats;
  const registers = [registry];
  new Gauge({
    name: 'dfr_files',
    help: 'Files kept (not deleted)',
    registers,
    async collect() {
      this.set((await stats()).files);
    },
  });
  new Gauge({
    name: 'dfr_replicas',
    help: 'Replica rows by state',
    labelNames: ['state'],
    registers,
    async collect() {
      const { replicas } = await stats();
      for (const state of ['pending', 'stored', 'failed', 'deleting'])
        this.set({ state }, replicas[state] ?? 0);
    },
  });
  new Gauge({
    name: 'dfr_under_replicated_files',
    help: 'Files with fewer verified copies on nodes that are not down than they want',
    registers,
    async collect() {
      this.set((await stats()).underReplicated);
    },
  });
  new Gauge({
    name: 'dfr_oldest_pending_replica_seconds',
    help: 'Age of the file of the oldest replica still pending (0 when none is)',
    registers,
    async collect() {
      this.set(ageSeconds((await stats()).oldestPendingSince));
    },
  });
  new Gauge({
    name: 'dfr_outbox_due',
    help: 'Replication and delete commands due to be sent now',
    registers,
    async collect() {
      this.set((await stats()).due);
    },
  });
  new Gauge({
    name: 'dfr_nodes',
    help: 'Nodes by state',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const member of await deps.membership.members())
        counts.set(member.derived, (counts.get(member.derived) ?? 0) + 1);
      for (const state of ['up', 'suspect', 'down', 'draining', 'drained'])
        this.set({ state }, counts.get(state) ?? 0);
    },
  });
  const queueMessages = new Gauge({
    name: 'dfr_queue_messages',
    help: 'Commands waiting in each node queue',
    labelNames: ['node'],
    registers,
  });
  new Gauge({
    name: 'dfr_queue_consumers',
    help: 'Worker processes consuming each node queue',
    labelNames: ['node'],
    registers,
    async collect() {
      this.reset();
      queueMessages.reset();
      for (const [node, info] of await deps.cluster.queues()) {
        this.set({ node }, info.consumers);
        queueMessages.set({ node }, info.messages);
      }
    },
  });
  new Gauge({
    name: 'dfr_dead_letter_messages',
    help: 'Messages in the dead-letter queue',
    registers,
    async collect() {
      this.set((await deps.cluster.deadLetters()) ?? 0);
    },
  });
  return {
    replicationSeconds: new Histogram({
      name: 'dfr_replication_seconds',
      help: 'From upload to each verified replica (kind="replica") and to the target (kind="target")',
      labelNames: ['kind'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    }),
  };
}
