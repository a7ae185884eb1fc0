import type { NextFunction, Request, Response } from 'express';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/src/errors.ts';
import { bearerToken, declaredLength } from '../../shared/src/http/request-headers.ts';
import { requireToken } from '../../shared/src/http/require-token.ts';

/** Runs the guard on a request with this Authorization header; returns what it passed to next. */
function guard(tokens: (string | undefined)[], authorization: string | undefined): unknown {
  const req = { headers: authorization === undefined ? {} : { authorization } } as Request;
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
  } as unknown as Response;
  let passed: unknown = 'next not called';
  requireToken(...tokens)(req, res, ((err?: unknown) => {
    passed = err;
  }) as NextFunction);
  if (passed instanceof AppError) expect(headers['WWW-Authenticate']).toBe('Bearer');
  return passed;
}

const token = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    ['abc', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it('reads back any printable token', () => {
    fc.assert(
      fc.property(token, (t) => {
        expect(bearerToken(`Bearer ${t}`)).toBe(t);
      }),
    );
  });
});

describe('declaredLength', () => {
  it.each([
    ['0', 0],
    ['1048576', 1048576],
    ['-1', undefined],
    ['1e3', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (header, expected) => {
    expect(declaredLength(header)).toBe(expected);
  });
});

describe('requireToken', () => {
  it('lets everything through when no token is configured', () => {
    expect(guard([], undefined)).toBeUndefined();
    expect(guard([undefined, ''], 'Bearer anything')).toBeUndefined();
  });

  it('lets through exactly the configured tokens', () => {
    fc.assert(
      fc.property(token, token, token, (a, b, other) => {
        expect(guard([a, b], `Bearer ${a}`)).toBeUndefined();
        expect(guard([a, b], `Bearer ${b}`)).toBeUndefined();
        if (other !== a && other !== b) expect(guard([a, b], `Bearer ${other}`)).toBeInstanceOf(AppError);
        expect(guard([a], undefined)).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
      }),
    );
  });
});
