import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { type RawResponse, rawRequest } from '../../support/raw-http.ts';
import { form, postForm } from './form.ts';
import { API_TOKEN, type BadInputCase, CLUSTER_TOKEN, call, SAMPLE, type Target } from './harness.ts';

const challenged = (response: RawResponse) => expect(response.headers['www-authenticate']).toBe('Bearer');
const upload = form([{ name: 'file', filename: 'a.txt', body: 'hello' }]);
const putWith = (authorization: string) => (t: Target) =>
  call(t, 'PUT', '/files/a.txt', { body: 'hello', token: null, headers: { authorization } });

const unauthorized = (name: string, send: BadInputCase['send'], server?: 'guarded'): BadInputCase => ({
  name,
  send,
  status: 401,
  code: 'UNAUTHORIZED',
  check: challenged,
  ...(server ? { server } : {}),
});

/** DFR_API_TOKEN, DFR_CLUSTER_TOKEN and DFR_PROTECT_DOWNLOADS. */
export const authCases: BadInputCase[] = [
  unauthorized('POST without a token', (t) => postForm(t, upload, { token: null })),
  unauthorized('POST with a wrong token', (t) => postForm(t, upload, { token: 'not-the-token' })),
  unauthorized('POST with the cluster token', (t) => postForm(t, upload, { token: CLUSTER_TOKEN })),
  unauthorized('PUT without a token', (t) => call(t, 'PUT', '/files/a.txt', { body: 'hello', token: null })),
  unauthorized('PUT with a token that only starts like the right one', (t) =>
    call(t, 'PUT', '/files/a.txt', { body: 'hello', token: API_TOKEN.slice(0, -1) }),
  ),
  unauthorized('PUT with the right token and more', (t) =>
    call(t, 'PUT', '/files/a.txt', { body: 'hello', token: `${API_TOKEN}x` }),
  ),
  unauthorized(
    'PUT with Basic credentials',
    putWith(`Basic ${Buffer.from(`u:${API_TOKEN}`).toString('base64')}`),
  ),
  unauthorized('PUT with an empty Bearer', putWith('Bearer ')),
  unauthorized('PUT with the token but no scheme', putWith(API_TOKEN)),
  unauthorized('PUT with two tokens', putWith(`Bearer ${API_TOKEN} ${API_TOKEN}`)),
  {
    ...unauthorized('PUT without a token is refused before its body is invited', (t) =>
      rawRequest(t.port, [
        'PUT /files/a.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 500000\r\n\r\n',
      ]),
    ),
    check: (response) => {
      challenged(response);
      expect(response.informational).toEqual([]);
    },
  },
  unauthorized('DELETE without a token', (t) => call(t, 'DELETE', `/files/${t.sampleId}`, { token: null })),
  unauthorized('DELETE with a wrong token', (t) =>
    call(t, 'DELETE', `/files/${t.sampleId}`, { token: 'nope' }),
  ),
  unauthorized('an internal blob without a token', (t) =>
    call(t, 'GET', `/internal/blobs/${t.sampleId}`, { token: null }),
  ),
  unauthorized('an internal blob with the API token', (t) => call(t, 'GET', `/internal/blobs/${t.sampleId}`)),
  {
    name: 'an internal blob with the cluster token',
    send: (t) => call(t, 'GET', `/internal/blobs/${t.sampleId}`, { token: CLUSTER_TOKEN }),
    status: 200,
    check: (response) => expect(response.body).toBe(SAMPLE.toString()),
  },
  {
    name: 'PUT with the scheme in lower case',
    send: putWith(`bearer ${API_TOKEN}`),
    status: 201,
  },
  {
    name: 'downloads stay open by default',
    send: (t) => call(t, 'GET', `/files/${t.sampleId}`, { token: null }),
    status: 200,
  },
  unauthorized(
    'a protected download without a token',
    (t) => call(t, 'GET', `/files/${randomUUID()}`, { token: null }),
    'guarded',
  ),
  unauthorized(
    'a protected status with a wrong token',
    (t) => call(t, 'GET', `/files/${randomUUID()}/status`, { token: 'nope' }),
    'guarded',
  ),
  unauthorized(
    'a protected listing without a token',
    (t) => call(t, 'GET', '/files', { token: null }),
    'guarded',
  ),
  unauthorized(
    'protected node list without a token',
    (t) => call(t, 'GET', '/nodes', { token: null }),
    'guarded',
  ),
  {
    name: 'a protected download with the token',
    server: 'guarded',
    send: (t) => call(t, 'GET', `/files/${t.sampleId}`),
    status: 200,
  },
  {
    name: 'health stays open on a protected server',
    server: 'guarded',
    send: (t) => call(t, 'GET', '/healthz', { token: null }),
    status: 200,
  },
];
