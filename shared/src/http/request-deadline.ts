import type { RequestHandler } from 'express';
import { AppError } from '../errors.ts';
import { sendError } from './error-handler.ts';

/**
 * Gives a request's body timeoutMs to arrive in full, against clients that trickle bytes just
 * fast enough to dodge the idle timeout. When it passes, the client gets 408 and the connection
 * closes, which fails the route still reading the body, and that route removes what it wrote.
 */
export function requestDeadline(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      sendError(
        req,
        res,
        new AppError('REQUEST_TIMEOUT', `the request body did not arrive within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    res.once('close', clear);
    next();
  };
}
