import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../errors.ts';

/**
 * Guards a route with `Authorization: Bearer <token>` when a token is configured. Both sides are
 * hashed first so the comparison takes the same time whatever the lengths.
 */
export function requireToken(token: string | undefined): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    if (match?.[1] && timingSafeEqual(digest(match[1]), expected)) {
      next();
      return;
    }
    next(new AppError('UNAUTHORIZED', 'missing or wrong token'));
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
