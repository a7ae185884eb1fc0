import { type RequestHandler, Router } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { requestDeadline } from '../../../../../shared/src/http/request-deadline.ts';
import { requireToken } from '../../../../../shared/src/http/require-token.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config.ts';
import type { IngestContext } from '../rest/context.ts';
import { corsHeaders, setPreflightHeaders } from './cors.ts';
import { CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION } from './tus-protocol.ts';
import { createUpload, headUpload, patchUpload, terminateUpload } from './upload-handlers.ts';

const UPLOADS = '/uploads';

/**
 * tus 1.0 resumable uploads at `/uploads/` (API.md "tus", README "Resumable uploads"), mounted at the root.
 * OPTIONS is open (a browser's preflight carries no token); everything else needs the API token
 * and `Tus-Resumable: 1.0.0`. Errors are the service's JSON errors with tus's statuses, rendered
 * by the app's one error handler, which closes lingering when a body was still arriving.
 */
export function tusRouter(ctx: IngestContext): Router {
  const router = Router();
  // Full paths on the routes rather than a mount path, so metrics name them `/uploads/:id`.
  router.use(UPLOADS, corsHeaders, (_req, res, next) => {
    res.setHeader('Tus-Resumable', TUS_VERSION);
    next();
  });
  const discovery = describeServer(ctx.config.maxUploadBytes);
  router.options(`${UPLOADS}/`, discovery);
  router.options(`${UPLOADS}/:id`, discovery);
  router.use(UPLOADS, requireToken(ctx.config.apiToken), requireTusVersion);
  const deadline = requestDeadline(ctx.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  router.post(`${UPLOADS}/`, deadline, createUpload(ctx));
  router.head(`${UPLOADS}/:id`, headUpload(ctx));
  router.patch(`${UPLOADS}/:id`, deadline, patchUpload(ctx));
  router.delete(`${UPLOADS}/:id`, terminateUpload(ctx));
  return router;
}

/** OPTIONS: what this server speaks, and a browser's preflight answered with it. */
function describeServer(maxUploadBytes: number): RequestHandler {
  return (req, res) => {
    res.setHeader('Tus-Version', TUS_VERSION);
    res.setHeader('Tus-Extension', TUS_EXTENSIONS.join(','));
    res.setHeader('Tus-Max-Size', String(maxUploadBytes));
    res.setHeader('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','));
    if (req.get('access-control-request-method')) setPreflightHeaders(res);
    res.status(204).end();
  };
}

const requireTusVersion: RequestHandler = (req, res, next) => {
  if (req.get('tus-resumable') === TUS_VERSION) {
    next();
    return;
  }
  res.setHeader('Tus-Version', TUS_VERSION);
  next(
    new AppError(
      'UNSUPPORTED_VERSION',
      `this server speaks tus ${TUS_VERSION}: send Tus-Resumable: ${TUS_VERSION}`,
    ),
  );
};
