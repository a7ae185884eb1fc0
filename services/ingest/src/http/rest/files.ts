import type { RequestHandler } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { deleteFile as deleteEverywhere } from '../../uploads/delete-file.ts';
import type { IngestContext } from './context.ts';
import { fileIdParam, listQuery } from './params.ts';
import { statusBody } from './status-body.ts';

/** `GET /files/<id>/status`: JSON, or the bare status line for `Accept: text/plain`. */
export function getStatus(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const file = await ctx.statuses.get(fileIdParam(req.params.id));
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
  return async (req, res) => {
    const { limit, cursor } = listQuery(req.query);
    const page = await ctx.statuses.list(limit, cursor);
    res.json({ files: page.files.map(statusBody), next: page.next });
  };
}

/** `DELETE /files/<id>`: gone from the data directory now, from every node through the broker. */
export function deleteFile(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    if (!(await deleteEverywhere(ctx, fileIdParam(req.params.id)))) {
      throw new AppError('NOT_FOUND', 'no such file');
    }
    res.status(204).end();
  };
}

/** `GET /instances`: the ingest instances sharing the metadata, as this one last read them. */
export function listInstances(ctx: IngestContext): RequestHandler {
  return (_req, res) => {
    res.json(ctx.instances.list());
  };
}
