import type { RequestHandler } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { type BlobToSend, sendBlob } from '../../../../../shared/src/http/send-blob.ts';
import type { FileStatus } from '../../store/metadata-store.ts';
import type { IngestContext } from './context.ts';
import { fileIdParam } from './params.ts';

/**
 * `GET /files/<id>`: from the data directory, verified as it streams, or, when the main copy is
 * missing or damaged, from a healthy node holding a verified replica while the main copy is
 * repaired from it. A main copy another instance holds comes from that instance (or a node).
 */
export function downloadFile(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const file = await ctx.statuses.get(fileIdParam(req.params.id));
    if (!file) throw new AppError('NOT_FOUND', 'no such file');
    await sendBlob(req, res, {
      ...blobInfo(file),
      open: (range) => ctx.mainCopies.openForReading(file, range),
    });
  };
}

/**
 * `GET /internal/blobs/<id>`: the main copy, for workers (guarded by the cluster token). While
 * the main copy is being repaired the answer is 503, which workers retry, rather than 404,
 * which tells them the file is gone.
 *
 * The bytes go out unchecked: the worker checks them against the SHA-256 anyway, and hashing a
 * large file once per node here made ingest the bottleneck of every large replication. A worker
 * retrying a copy asks with `?verify=1`, and then a damaged main copy is found and repaired.
 * A main copy another instance holds is passed through from there (a command sent while that
 * instance was unknown here points at this one).
 */
export function internalBlob(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const file = await ctx.statuses.get(fileIdParam(req.params.id));
    if (!file) throw new AppError('NOT_FOUND', 'no such blob');
    const verify = req.query.verify === '1';
    if (!ctx.mainCopies.isHeldHere(file)) {
      await sendBlob(req, res, {
        ...blobInfo(file),
        open: (range) => ctx.mainCopies.openElsewhere(file, range, verify),
      });
      return;
    }
    if (!(await ctx.mainCopies.isIntact(file))) {
      ctx.mainCopies.repair(file);
      throw new AppError('NOT_READY', 'the main copy is being repaired');
    }
    await sendBlob(req, res, {
      ...blobInfo(file),
      open: (range) => ctx.mainCopies.read(file, range),
      ...(verify ? {} : { pump: (range, out) => ctx.mainCopies.sendUnchecked(file, range, out) }),
    });
  };
}

/**
 * `DELETE /internal/blobs/<id>`: another instance took the delete of a file whose main copy is
 * here. Only a file the metadata no longer shows is removed (409 otherwise), so the call can
 * never take the bytes of a live file.
 */
export function removeInternalBlob(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = fileIdParam(req.params.id);
    if (await ctx.metadata.getFile(id)) throw new AppError('CONFLICT', 'the file is not deleted');
    await ctx.blobs.remove(id);
    ctx.logger.info({ fileId: id }, 'main copy removed for a delete taken by another instance');
    res.status(204).end();
  };
}

function blobInfo(file: FileStatus): Omit<BlobToSend, 'open' | 'pump'> {
  return { size: file.size, sha256: file.sha256, name: file.name, contentType: file.contentType };
}
