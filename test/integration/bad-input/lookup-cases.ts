import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { RawResponse } from '../../support/raw-http.ts';
import { type BadInputCase, CLUSTER_TOKEN, call, SAMPLE, type Target } from './harness.ts';

const unknownId = randomUUID();

const ranged = (range: string) => (t: Target) =>
  call(t, 'GET', `/files/${t.sampleId}`, { headers: { range } });

const unsatisfiable = (response: RawResponse) =>
  expect(response.headers['content-range']).toBe('bytes */100');
const whole = (response: RawResponse) => expect(response.body).toBe(SAMPLE.toString());
const part = (start: number, end: number) => (response: RawResponse) => {
  expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/100`);
  expect(response.body).toBe(SAMPLE.subarray(start, end + 1).toString());
};

/** Ids, query strings and ranges: validated before anything is looked up or read. */
export const lookupCases: BadInputCase[] = [
  {
    name: 'an id that is not a UUID',
    send: (t) => call(t, 'GET', '/files/not-a-uuid'),
    status: 400,
    code: 'INVALID_ID',
  },
  {
    name: 'an id that is a path',
    send: (t) => call(t, 'GET', '/files/..%2F..%2Fmetadata.db'),
    status: 400,
    code: 'INVALID_ID',
  },
  {
    name: 'an id with a NUL after a UUID',
    send: (t) => call(t, 'GET', `/files/${t.sampleId}%00/status`),
    status: 400,
    code: 'INVALID_ID',
  },
  {
    name: 'an id of 2000 characters',
    send: (t) => call(t, 'GET', `/files/${'a'.repeat(2000)}/status`),
    status: 400,
    code: 'INVALID_ID',
  },
  {
    name: 'an unknown id',
    send: (t) => call(t, 'GET', `/files/${unknownId}`),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'the status of an unknown id',
    send: (t) => call(t, 'GET', `/files/${unknownId}/status`),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'a delete of a malformed id',
    send: (t) => call(t, 'DELETE', '/files/..%2Fblobs'),
    status: 400,
    code: 'INVALID_ID',
  },
  {
    name: 'a delete of an unknown id',
    send: (t) => call(t, 'DELETE', `/files/${unknownId}`),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'an internal blob with a malformed id',
    send: (t) => call(t, 'GET', '/internal/blobs/..%2Fmetadata.db', { token: CLUSTER_TOKEN }),
    status: 400,
    code: 'INVALID_ID',
  },
  {
    name: 'an internal blob with an unknown id',
    send: (t) => call(t, 'GET', `/internal/blobs/${unknownId}`, { token: CLUSTER_TOKEN }),
    status: 404,
    code: 'NOT_FOUND',
  },
  { name: 'an unknown route', send: (t) => call(t, 'GET', '/etc/passwd'), status: 404, code: 'NOT_FOUND' },
  {
    name: 'a negative ?wait on upload (refused before the body is stored)',
    send: (t) => call(t, 'PUT', '/files/w.bin?wait=-1', { body: 'x' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a ?wait that is not a number',
    send: (t) => call(t, 'PUT', '/files/w.bin?wait=all', { body: 'x' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a ?timeout over ten minutes',
    send: (t) => call(t, 'PUT', '/files/w.bin?wait=1&timeout=99999999', { body: 'x' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a repeated ?wait',
    send: (t) => call(t, 'PUT', '/files/w.bin?wait=1&wait=2', { body: 'x' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a listing with ?limit=0',
    send: (t) => call(t, 'GET', '/files?limit=0'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a listing with ?limit over 1000',
    send: (t) => call(t, 'GET', '/files?limit=5000'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a listing with a cursor that is not one',
    send: (t) => call(t, 'GET', '/files?cursor=%27%20OR%201%3D1'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a range past the end',
    send: ranged('bytes=200-'),
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
    check: unsatisfiable,
  },
  {
    name: 'a reversed range',
    send: ranged('bytes=50-10'),
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
    check: unsatisfiable,
  },
  {
    name: 'a garbage range',
    send: ranged('bytes=abc'),
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
    check: unsatisfiable,
  },
  {
    name: 'an empty range set',
    send: ranged('bytes='),
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
    check: unsatisfiable,
  },
  {
    name: 'a zero-length suffix range',
    send: ranged('bytes=-0'),
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
    check: unsatisfiable,
  },
  {
    name: 'multiple disjoint ranges get the whole file',
    send: ranged('bytes=0-1,5-6'),
    status: 200,
    check: whole,
  },
  { name: 'overlapping ranges are combined', send: ranged('bytes=0-4,2-9'), status: 206, check: part(0, 9) },
  {
    name: 'a range that runs past the end is clipped',
    send: ranged('bytes=90-500'),
    status: 206,
    check: part(90, 99),
  },
  { name: 'a suffix range', send: ranged('bytes=-5'), status: 206, check: part(95, 99) },
  {
    name: 'a suffix longer than the file gets all of it',
    send: ranged('bytes=-500'),
    status: 206,
    check: part(0, 99),
  },
  { name: 'a range unit in capitals', send: ranged('BYTES=10-19'), status: 206, check: part(10, 19) },
  { name: 'an unknown range unit gets the whole file', send: ranged('items=0-1'), status: 200, check: whole },
  {
    name: 'a range with a stale If-Range gets the whole file',
    send: (t) =>
      call(t, 'GET', `/files/${t.sampleId}`, { headers: { range: 'bytes=0-1', 'if-range': '"stale"' } }),
    status: 200,
    check: whole,
  },
];
