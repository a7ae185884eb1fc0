import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../errors.ts';
import { bearerToken } from './request-headers.ts';

/**
 * Guards a route with `Authorization: Bearer <token>`, accepting any of the configured tokens;
 * with none configured the route is open. Both sides are hashed first, and every token is
 * compared, so the time taken says nothing about the lengths or which token came close.
 */
export function requireToken(...tokens: (string | undefined)[]): RequestHandler {
  const expected = tokens.filter((token): token is string => Boolean(token)).map(digest);
  if (expected.length === 0) return (_req, _res, next) => next();
  return (req, res, next) => {
    const given = digest(bearerToken(req.headers.authorization) ?? '');
    let match = false;
    for (const candidate of expected) match = timingSafeEqual(given, candidate) || match;
    if (match) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer');
    next(new AppError('UNAUTHORIZED', 'missing or wrong token'));
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
