import type { RequestHandler } from 'express';
import { ageSeconds } from '../../cluster/cluster-stats.ts';
import type { IngestContext } from '../rest/context.ts';

/**
 * `GET /dashboard/summary`: the figures the page shows above its tables, the same as /metrics
 * has (files, replicas by state, under-replicated, oldest pending, commands due, dead letters,
 * nodes by state) plus each node queue's backlog and consumers. A second old at most.
 */
export function dashboardSummary(ctx: IngestContext): RequestHandler {
  return async (_req, res) => {
    const [stats, queues, deadLetters, members] = await Promise.all([
      ctx.cluster.stats(),
      ctx.cluster.queues(),
      ctx.cluster.deadLetters(),
      ctx.membership.members(),
    ]);
    const nodes: Record<string, number> = { up: 0, suspect: 0, down: 0, draining: 0, drained: 0 };
    for (const member of members) nodes[member.derived] = (nodes[member.derived] ?? 0) + 1;
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      at: new Date().toISOString(),
      files: stats.files,
      replicas: stats.replicas,
      underReplicated: stats.underReplicated,
      oldestPendingSince: stats.oldestPendingSince,
      oldestPendingSeconds: ageSeconds(stats.oldestPendingSince),
      outboxDue: stats.due,
      deadLetters: deadLetters ?? null,
      nodes,
      queues: Object.fromEntries(queues),
    });
  };
}
