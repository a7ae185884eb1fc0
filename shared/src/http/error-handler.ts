import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Renders every error as `{"error":{"code","message"}}`; unknown errors become 500 without details. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const appError = toAppError(err);
    if (appError.status >= 500) {
      logger.error({ err, method: req.method, path: req.path }, 'request failed');
    } else {
      logger.info({ code: appError.code, method: req.method, path: req.path }, appError.message);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const header of ['Content-Disposition', 'Content-Length', 'ETag', 'Accept-Ranges'])
      res.removeHeader(header);
    // An upload refused mid-body: close rather than read the rest of what the client sends.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.status(appError.status).json({ error: { code: appError.code, message: appError.message } });
  };
}

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new AppError('NOT_FOUND', 'no such route'));
};

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // body-parser and friends mark client errors with a status.
  if (typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number') {
    if (err.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body too large');
    if (err.status >= 400 && err.status < 500) return new AppError('BAD_REQUEST', 'malformed request');
  }
  return new AppError('INTERNAL', 'internal error');
}
