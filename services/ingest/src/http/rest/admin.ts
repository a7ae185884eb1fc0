import type { RequestHandler } from 'express';
import type { IngestContext } from './context.ts';

/** `GET /admin/fsck`: the cluster's health in one report (under-replicated, missing, damaged, extra, nodes down). */
export function fsckReport(ctx: IngestContext): RequestHandler {
  return async (_req, res) => {
    res.json(await ctx.maintenance.fsck());
  };
}

/**
 * `POST /admin/fsck`: starts repairing what can be repaired now (a healing pass, the outbox's
 * due commands, missing main copies), then answers with the report; copies under way land later.
 */
export function fsckRepair(ctx: IngestContext): RequestHandler {
  return async (_req, res) => {
    await ctx.maintenance.repair();
    res.json(await ctx.maintenance.fsck());
  };
}

/** `POST /admin/scrub`: re-hashes ingest's main copies now; damaged ones are rebuilt from a node. */
export function scrubMainCopies(ctx: IngestContext): RequestHandler {
  return async (_req, res) => {
    const report = await ctx.maintenance.scrub();
    res.json({ checked: report.checked, removed: report.removed });
  };
}
