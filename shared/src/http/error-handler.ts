import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

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
 * ended by closing the connection, so the client sees it incomplete.
 */
export function sendError(req: Request, res: Response, appError: AppError): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  for (const header of ['Content-Disposition', 'Content-Length', 'ETag', 'Accept-Ranges'])
    res.removeHeader(header);
  const bodyUnread = bodyPending(req);
  // Refused before its body was read: close rather than read the rest of what the client sends.
  if (bodyUnread) res.setHeader('Connection', 'close');
  res.status(appError.status).json({ error: { code: appError.code, message: appError.message } });
  if (bodyUnread) abandonBody(req, appError);
}

/** True while body bytes may still arrive; a bodiless GET counts as complete before Node says so. */
function bodyPending(req: Request): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Once the answer is out, Node stops feeding the request and never ends it, so a route still
 * reading the body (an upload's temporary file, multer) would wait forever. Fail the body stream
 * instead; it is first detached from the socket, as Node's own pipeline() does for server
 * requests, so destroying it cannot cut the answer still being sent.
 */
function abandonBody(req: Request, reason: AppError): void {
  if (req.destroyed) return;
  (req as { socket: unknown }).socket = null;
  req.destroy(reason);
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
