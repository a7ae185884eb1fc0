import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { lingerAfterAnswer } from './lingering-close.ts';

/** Renders every error as `{"error":{"code","message"}}`; unknown errors become 500 without details. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const appError = toAppError(err);
    if (appError.code === 'INTERNAL') {
      logger.error({ err, method: req.method, path: req.path }, 'request failed');
    } else if (appError.status >= 500) {
      // A condition the service reports on purpose (not ready, store full): no stack needed.
      logger.warn({ code: appError.code, method: req.method, path: req.path }, appError.message);
    } else {
      logger.info({ code: appError.code, method: req.method, path: req.path }, appError.message);
    }
    sendError(req, res, appError);
  };
}

/**
 * Answers with the error body. An answer already complete stays as it is; one cut short is
 * ended by closing the connection, so the client sees it incomplete. A request whose body is
 * still arriving gets its answer, then a lingering close (lingering-close.ts).
 */
export function sendError(req: Request, res: Response, appError: AppError): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  for (const header of ['Content-Disposition', 'Content-Length', 'ETag', 'Accept-Ranges'])
    res.removeHeader(header);
  lingerAfterAnswer(req, res, appError);
  // Statuses outside Node's table (tus's 460, nginx's 499) would go out as "unknown".
  if (!STATUS_CODES[appError.status]) res.statusMessage = appError.code.replaceAll('_', ' ').toLowerCase();
  res.status(appError.status).json({ error: { code: appError.code, message: appError.message } });
}

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new AppError('NOT_FOUND', 'no such route'));
};

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof URIError)
    return new AppError('BAD_REQUEST', 'the URL is not valid percent-encoded UTF-8');
  // body-parser and friends mark client errors with a status.
  if (typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number') {
    if (err.status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body too large');
    if (err.status >= 400 && err.status < 500) return new AppError('BAD_REQUEST', 'malformed request');
  }
  return new AppError('INTERNAL', 'internal error');
}
