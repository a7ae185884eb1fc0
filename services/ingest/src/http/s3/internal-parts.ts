import { pipeline } from 'node:stream/promises';
import { type RequestHandler, Router } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import type { Logger } from '../../../../../shared/src/logger.ts';
import { isPartFile, isUploadId, type PartStore } from '../../s3/part-store.ts';
import type { S3Catalog } from '../../s3/s3-catalog.ts';

export interface InternalPartsDeps {
  parts: PartStore;
  catalog: S3Catalog;
  logger: Logger;
}

/**
 * The parts this instance holds, for the other ingest instances on the same database (guarded
 * by the cluster token, on the REST port, where they find each other): `GET` of one part's bytes
 * for a completion taken elsewhere, `DELETE` of a part sent again or of an ended upload's folder.
 * A delete removes only what the catalog no longer names, so it can never take a live part.
 */
export function internalPartsRouter(deps: InternalPartsDeps, clusterAuth: RequestHandler): Router {
  const router = Router();
  router.get('/internal/s3-parts/:uploadId/:file', clusterAuth, readPart(deps));
  router.delete('/internal/s3-parts/:uploadId/:file', clusterAuth, removePart(deps));
  router.delete('/internal/s3-parts/:uploadId', clusterAuth, removeUpload(deps));
  return router;
}

function readPart(deps: InternalPartsDeps): RequestHandler {
  return async (req, res) => {
    const { uploadId, file } = partParams(req.params);
    const size = await deps.parts.size(uploadId, file);
    if (size === undefined) throw new AppError('NOT_FOUND', 'no such part here');
    res.status(200).type('application/octet-stream').setHeader('Content-Length', String(size));
    await pipeline(deps.parts.read(uploadId, file), res);
  };
}

function removePart(deps: InternalPartsDeps): RequestHandler {
  return async (req, res) => {
    const { uploadId, file } = partParams(req.params);
    const partNumber = Number(file.split('-')[0]);
    const [current] = await deps.catalog.listParts(uploadId, partNumber - 1, 1);
    if (current?.partNumber === partNumber && current.file === file)
      throw new AppError('CONFLICT', 'the part is still the current one of its upload');
    await deps.parts.remove(uploadId, file);
    res.status(204).end();
  };
}

function removeUpload(deps: InternalPartsDeps): RequestHandler {
  return async (req, res) => {
    const uploadId = String(req.params.uploadId);
    if (!isUploadId(uploadId)) throw new AppError('INVALID_ID', 'not an upload id');
    if (await deps.catalog.getUpload(uploadId)) throw new AppError('CONFLICT', 'the upload is under way');
    await deps.parts.removeUpload(uploadId);
    deps.logger.info({ uploadId }, 'S3 parts removed for an upload ended by another instance');
    res.status(204).end();
  };
}

function partParams(params: Record<string, unknown>): { uploadId: string; file: string } {
  const uploadId = String(params.uploadId);
  const file = String(params.file);
  if (!isUploadId(uploadId) || !isPartFile(file)) throw new AppError('INVALID_ID', 'not an upload part');
  return { uploadId, file };
}
