import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * Lets a client that sent `Expect: 100-continue` send its body. listen.ts does not answer the
 * expectation by itself, so a route puts this after the checks that may refuse the request
 * (token, declared size): a refused client then never sends the bytes.
 */
export const expectContinue: RequestHandler = (req, res, next) => {
  inviteBody(req, res);
  next();
};

/** expectContinue for a route whose last checks run inside its handler, just before it reads the body. */
export function inviteBody(req: IncomingMessage, res: ServerResponse): void {
  if (/\b100-continue\b/i.test(String(req.headers.expect ?? ''))) res.writeContinue();
}
