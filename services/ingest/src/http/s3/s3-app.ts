import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from '../../../../../shared/src/logger.ts';
import { runOperation } from './operations.ts';
import { sendS3Error } from './respond.ts';
import type { S3Context } from './s3-context.ts';
import { toS3Error } from './s3-error.ts';
import { parseCall } from './s3-request.ts';

/**
 * The S3-compatible API (path style), on its own port: every request is signed (Signature V4),
 * routed by method, address and subresource to one operation, and every error is S3's XML.
 */
export function createS3App(ctx: S3Context): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.use(async (req, res) => {
    const call = parseCall(req, res, ctx.credentials);
    res.locals.resource = call.resource;
    await runOperation(ctx, call, req, res);
  });
  app.use(s3ErrorHandler(ctx.logger));
  return app;
}

function s3ErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const error = toS3Error(err);
    // Only what nobody foresaw is an error; a refusal (NotImplemented, SlowDown) is the answer working.
    if (error.code === 'InternalError')
      logger.error({ err, method: req.method, path: req.path }, 'S3 request failed');
    else if (error.status >= 500)
      logger.warn({ code: error.code, method: req.method, path: req.path }, error.message);
    else logger.info({ code: error.code, method: req.method, path: req.path }, error.message);
    sendS3Error(req, res, error, typeof res.locals.resource === 'string' ? res.locals.resource : req.path);
  };
}
