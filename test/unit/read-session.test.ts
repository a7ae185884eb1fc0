import type { NextFunction, Request, Response } from 'express';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cookieValue,
  issueReadSession,
  READ_SESSION_TTL_MS,
  readAuth,
  validReadSession,
} from '../../services/ingest/src/http/dashboard/read-session.ts';
import { AppError } from '../../shared/src/errors.ts';

const TOKEN = 'the-api-token-0123456789abcdef';
const NOW = Date.UTC(2026, 11, 1);

/** What the guard passes to next for a request: undefined when it lets it through. */
function guard(method: string, headers: Record<string, string>, protect = true): unknown {
  const req = { method, headers } as unknown as Request;
  const res = { setHeader: () => undefined } as unknown as Response;
  let passed: unknown = 'next not called';
  readAuth(TOKEN, protect)(req, res, ((err?: unknown) => {
    passed = err;
  }) as NextFunction);
  return passed;
}

describe('read sessions', () => {
  it('accepts a session issued with the token until it expires', () => {
    const { value, expiresMs } = issueReadSession(TOKEN, NOW);
    expect(expiresMs).toBe(NOW + READ_SESSION_TTL_MS);
    expect(validReadSession(TOKEN, value, NOW)).toBe(true);
    expect(validReadSession(TOKEN, value, expiresMs - 1)).toBe(true);
    expect(validReadSession(TOKEN, value, expiresMs)).toBe(false);
  });

  it('refuses one issued with another token, or with its expiry pushed later', () => {
    const { value } = issueReadSession(TOKEN, NOW);
    expect(validReadSession('another-token', value, NOW)).toBe(false);
    const [expiry, mac] = value.split('.');
    expect(validReadSession(TOKEN, `${Number(expiry) + 1000}.${mac}`, NOW)).toBe(false);
  });

  it('refuses a session that claims to outlive its TTL, even when signed', () => {
    const far = issueReadSession(TOKEN, NOW + 10 * READ_SESSION_TTL_MS).value;
    expect(validReadSession(TOKEN, far, NOW)).toBe(false);
  });

  it('refuses anything that is not a session', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (value) => {
        expect(validReadSession(TOKEN, value, NOW)).toBe(false);
      }),
    );
  });

  it('finds its cookie among others', () => {
    expect(cookieValue('a=1; dfr_read=x.y; b=2', 'dfr_read')).toBe('x.y');
    expect(cookieValue('xdfr_read=1', 'dfr_read')).toBeUndefined();
    expect(cookieValue(undefined, 'dfr_read')).toBeUndefined();
  });
});

describe('readAuth', () => {
  const cookie = `dfr_read=${issueReadSession(TOKEN).value}`;

  it('lets a read through with the token or a valid session', () => {
    expect(guard('GET', { authorization: `Bearer ${TOKEN}` })).toBeUndefined();
    expect(guard('GET', { cookie })).toBeUndefined();
    expect(guard('HEAD', { cookie })).toBeUndefined();
  });

  it('refuses a read with neither, and any other method on a session alone', () => {
    expect(guard('GET', {})).toBeInstanceOf(AppError);
    expect(guard('GET', { cookie: 'dfr_read=123.abc' })).toBeInstanceOf(AppError);
    expect(guard('POST', { cookie })).toBeInstanceOf(AppError);
    expect(guard('DELETE', { cookie })).toBeInstanceOf(AppError);
  });

  it('is open when reads are not protected', () => {
    expect(guard('GET', {}, false)).toBeUndefined();
  });
});
