import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { requireToken } from '../../../../../shared/src/http/require-token.ts';

/** The cookie that lets a browser's own reads (EventSource cannot send a header) through. */
export const READ_SESSION_COOKIE = 'dfr_read';
/** A read session lasts this long; the dashboard renews it well before. */
export const READ_SESSION_TTL_MS = 15 * 60_000;

const PURPOSE = 'dfr read session v1';

function mac(apiToken: string, expiresMs: number): Buffer {
  return createHmac('sha256', apiToken).update(`${PURPOSE} ${expiresMs}`).digest();
}

/**
 * A read session: `<expiry ms>.<HMAC-SHA256 of the expiry, keyed with the API token>`. Nothing is
 * stored, so every ingest instance given the same token accepts it, and changing the token ends
 * every session at once. It is not the token and cannot be turned back into it.
 */
export function issueReadSession(apiToken: string, nowMs = Date.now()): { value: string; expiresMs: number } {
  const expiresMs = nowMs + READ_SESSION_TTL_MS;
  return { value: `${expiresMs}.${mac(apiToken, expiresMs).toString('base64url')}`, expiresMs };
}

/** True for a session issued with this token that has not expired (nor claims to outlive its TTL). */
export function validReadSession(apiToken: string, value: string, nowMs = Date.now()): boolean {
  const match = /^(\d{13,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return false;
  const expiresMs = Number(match[1]);
  if (expiresMs <= nowMs || expiresMs > nowMs + READ_SESSION_TTL_MS) return false;
  const given = Buffer.from(match[2] ?? '', 'base64url');
  const expected = mac(apiToken, expiresMs);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The value of one cookie of a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The guard of the read routes: the API token in `Authorization`, or, on GET and HEAD only, a
 * valid read session cookie. Open when reads are not protected.
 */
export function readAuth(apiToken: string | undefined, protect: boolean): RequestHandler {
  if (!protect || !apiToken) return requireToken();
  const byHeader = requireToken(apiToken);
  return (req, res, next) => {
    const session = cookieValue(req.headers.cookie, READ_SESSION_COOKIE);
    const reading = req.method === 'GET' || req.method === 'HEAD';
    if (reading && session !== undefined && validReadSession(apiToken, session)) {
      next();
      return;
    }
    byHeader(req, res, next);
  };
}

/**
 * Sets the cookie: HttpOnly (page scripts cannot read it), SameSite=Strict (no other site's page
 * makes the browser send it), Path=/, and Secure when the page came over TLS (here or at a proxy
 * that says so; a spoofed header only adds Secure).
 */
export function setReadSessionCookie(req: Request, res: Response, value: string, maxAgeMs: number): void {
  const tls = req.secure || req.get('x-forwarded-proto') === 'https';
  const attributes = [
    `${READ_SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${Math.floor(maxAgeMs / 1000)}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(tls ? ['Secure'] : []),
  ];
  res.setHeader('Set-Cookie', attributes.join('; '));
}
