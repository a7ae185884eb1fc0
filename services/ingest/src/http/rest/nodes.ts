import type { RequestHandler } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { NodeId } from '../../../../../shared/src/messages/common.ts';
import { nodeViews } from '../../cluster/node-views.ts';
import type { IngestContext } from './context.ts';

function nodeIdParam(value: unknown): string {
  const parsed = NodeId.safeParse(value);
  if (!parsed.success) throw new AppError('BAD_REQUEST', 'node ids are 1-64 letters, digits, - or _');
  return parsed.data;
}

async function viewOf(ctx: IngestContext, id: string) {
  const view = (await nodeViews(ctx.membership, ctx.nodes)).find((node) => node.id === id);
  if (!view) throw new AppError('NOT_FOUND', 'no such node');
  return view;
}

/** `GET /nodes`: every node with its state, zone, space, files held and drain progress. */
export function listNodes(ctx: IngestContext): RequestHandler {
  return async (_req, res) => {
    res.json(await nodeViews(ctx.membership, ctx.nodes));
  };
}

/** `POST /nodes/<id>/drain`: 202; the node's files move elsewhere, then it is `drained`. */
export function startDrain(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = nodeIdParam(req.params.id);
    await ctx.nodeAdmin.drain(id);
    res.status(202).json(await viewOf(ctx, id));
  };
}

/** `DELETE /nodes/<id>/drain`: the drain is cancelled. */
export function cancelDrain(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = nodeIdParam(req.params.id);
    await ctx.nodeAdmin.cancelDrain(id);
    res.json(await viewOf(ctx, id));
  };
}

/** `DELETE /nodes/<id>`: 204 once no file needs the node, else 409. */
export function removeNode(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    await ctx.nodeAdmin.remove(nodeIdParam(req.params.id));
    res.status(204).end();
  };
}
