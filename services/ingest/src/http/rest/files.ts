import type { RequestHandler } from 'express';
import { AppError } from '../../../../shared/src/errors.ts';
import type { IngestContext } from './context.ts';
import { fileIdParam, listQuery } from './params.ts';
import { statusBody } from './status-body.ts';

/** `GET /files/<id>/status`: JSON, or the bare status line for `Accept: text/plain`. */
export function getStatus(ctx: IngestContext): RequestHandler {
  return (req, res) => {
    const file = ctx.metadata.getFile(fileIdParam(req.params.id));
    if (!file) throw new AppError('NOT_FOUND', 'no such file');
    const body = statusBody(file);
    if (req.accepts(['application/json', 'text/plain']) === 'text/plain') {
      res.type('text/plain').send(`${body.status}\n`);
      return;
    }
    res.json(body);
  };
}

/** `GET /files`: newest first, paginated with `limit` and `cursor`. */
export function listFiles(ctx: IngestContext): RequestHandler {
  return (req, res) => {
    const { limit, cursor } = listQuery(req.query);
    const page = ctx.metadata.listFiles(limit, cursor);
    res.json({ files: page.files.map(statusBody), next: page.next });
  };
}

/** `DELETE /files/<id>`: gone from the data directory now, from every node through the broker. */
export function deleteFile(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = fileIdParam(req.params.id);
    const file = ctx.metadata.getFile(id);
    const nodes = file ? ctx.metadata.markDeleting(id) : undefined;
    if (!file || !nodes) throw new AppError('NOT_FOUND', 'no such file');
    await ctx.blobs.remove(id);
    ctx.logger.info({ fileId: id }, 'file deleted');
    void ctx.replication.publishAll('delete', file, nodes);
    res.status(204).end();
  };
}

/** `GET /nodes`: the configured nodes and what their heartbeats said. */
export function listNodes(ctx: IngestContext): RequestHandler {
  return (_req, res) => {
    res.json(ctx.registry.list());
  };
}
