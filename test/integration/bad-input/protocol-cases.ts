import { expect } from 'vitest';
import type { RawResponse } from '../../support/raw-http.ts';
import { rawRequest } from '../../support/raw-http.ts';
import { fetchUpload } from './clients.ts';
import { form, postForm } from './form.ts';
import { API_TOKEN, type BadInputCase, call, expectSafeDownload, statusOf, type Target } from './harness.ts';

/** The upload is downloaded with `contentType`, attachment and nosniff. */
const servedAs = (contentType: string) => async (response: RawResponse, target: Target) => {
  const status = statusOf(response);
  expect(status.contentType).toBe(contentType);
  await expectSafeDownload(target, status.id, status.name, contentType);
};

const putTyped = (type: string) => (t: Target) =>
  call(t, 'PUT', '/files/typed', { body: '<script>alert(1)</script>', headers: { 'content-type': type } });

const typed = (type: string, served: string): BadInputCase => ({
  name: `an upload declared as ${JSON.stringify(type)} is served as ${served}`,
  send: putTyped(type),
  status: 201,
  check: servedAs(served),
});

/** HTTP that Node's parser refuses, and declared types that must not reach a browser as such. */
export const protocolCases: BadInputCase[] = [
  {
    name: 'a request line that is not HTTP',
    send: (t) => rawRequest(t.port, ['HELLO THERE\r\n\r\n']),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'request headers over 16 KiB',
    send: (t) =>
      rawRequest(t.port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`]),
    status: 431,
    code: 'HEADERS_TOO_LARGE',
  },
  {
    // Node's parser refuses the headers while fetch is still sending the body behind them.
    name: 'fetch: PUT with headers over 16 KiB and an 8 MiB body gets 431 (own process)',
    server: 'edge',
    send: (t) =>
      fetchUpload(t, { route: 'put', bytes: 8 * 1024 * 1024, headers: { 'x-big': 'b'.repeat(20_000) } }),
    status: 431,
    code: 'HEADERS_TOO_LARGE',
  },
  {
    name: 'a Content-Length that is not a number',
    send: (t) =>
      rawRequest(t.port, [
        `PUT /files/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKEN}\r\nContent-Length: ten\r\n\r\n`,
      ]),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'both Content-Length and Transfer-Encoding (request smuggling)',
    send: (t) =>
      rawRequest(t.port, [
        `PUT /files/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKEN}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      ]),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'an Expect the server does not know',
    send: (t) => call(t, 'PUT', '/files/a', { body: 'x', headers: { expect: 'teapot' } }),
    status: 417,
  },
  {
    name: 'a PUT with Expect: 100-continue is invited to send and stored',
    send: (t) =>
      rawRequest(
        t.port,
        [
          `PUT /files/continued.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKEN}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`,
        ],
        {
          onSocket: (socket) => socket.once('data', () => socket.write('hello')),
        },
      ),
    status: 201,
    check: (response) => expect(response.informational).toEqual([100]),
  },
  typed('text/html', 'application/octet-stream'),
  typed('TEXT/HTML; charset=utf-8', 'application/octet-stream'),
  typed('image/svg+xml', 'application/octet-stream'),
  typed('application/xhtml+xml', 'application/octet-stream'),
  typed('text/javascript', 'application/octet-stream'),
  typed('application/pdf', 'application/octet-stream'),
  typed('text/plain; charset=utf-8', 'text/plain'),
  typed('image/png', 'image/png'),
  typed('not a media type', 'application/octet-stream'),
  typed('text/plain, text/html', 'application/octet-stream'),
  {
    name: 'a form file declared as text/html is served as application/octet-stream',
    send: (t) =>
      postForm(t, form([{ name: 'file', filename: 'page.html', contentType: 'text/html', body: '<b>' }])),
    status: 201,
    check: servedAs('application/octet-stream'),
  },
  {
    name: 'a form file declared as video/mp4 keeps its type',
    send: (t) =>
      postForm(t, form([{ name: 'file', filename: 'clip.mp4', contentType: 'video/mp4', body: 'mp4' }])),
    status: 201,
    check: servedAs('video/mp4'),
  },
];
