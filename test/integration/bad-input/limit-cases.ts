import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type RawResponse, rawRequest, streamUntilAnswered } from '../../support/raw-http.ts';
import { filesUnder } from '../../support/store-check.ts';
import { sleep, waitFor } from '../../support/wait-for.ts';
import { FORM_TAIL, FORM_TYPE, fileHead, form, postForm } from './form.ts';
import { API_TOKEN, type BadInputCase, call, MAX_UPLOAD_BYTES, type Target } from './harness.ts';

const STREAMED = 32 * MAX_UPLOAD_BYTES;
const auth = `Authorization: Bearer ${API_TOKEN}\r\n`;

function head(method: string, path: string, headers: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;
}

/** Starts an upload, waits until its temporary file exists, then drops the connection. */
async function abandonUpload(target: Target, chunks: (string | Buffer)[]): Promise<RawResponse> {
  const socket = connect(target.port, '127.0.0.1');
  await once(socket, 'connect');
  let answered = false;
  socket.on('data', () => {
    answered = true;
  });
  for (const chunk of chunks) socket.write(chunk);
  try {
    const tmp = join(target.dataDir, '.tmp');
    await waitFor(
      async () => (await filesUnder(tmp)).length > 0,
      5_000,
      'the upload to reach a temporary file',
    );
  } finally {
    socket.destroy();
  }
  return { status: answered ? -1 : 0, headers: {}, body: '' };
}

/** Sends the chunks, then a byte every intervalMs, until the server answers or closes. */
function trickle(target: Target, chunks: (string | Buffer)[], intervalMs: number): Promise<RawResponse> {
  let timer: NodeJS.Timeout | undefined;
  return rawRequest(target.port, chunks, {
    onSocket: (socket) => {
      timer = setInterval(() => socket.writable && socket.write('a'), intervalMs);
      socket.once('close', () => clearInterval(timer));
    },
  }).finally(() => clearInterval(timer));
}

const answeredMidStream = (response: RawResponse) => expect(response.sentBeforeAnswer).toBeLessThan(STREAMED);

/** Bodies over DFR_MAX_UPLOAD_BYTES, clients that leave, clients that are too slow. */
export const limitCases: BadInputCase[] = [
  {
    name: 'PUT of exactly the limit is accepted',
    send: (t) => call(t, 'PUT', '/files/limit.bin', { body: Buffer.alloc(MAX_UPLOAD_BYTES, 1) }),
    status: 201,
  },
  {
    name: 'PUT of the limit plus one byte',
    send: (t) => call(t, 'PUT', '/files/over.bin', { body: Buffer.alloc(MAX_UPLOAD_BYTES + 1, 1) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'PUT whose Content-Length is over the limit is refused before any byte is sent',
    send: (t) =>
      rawRequest(t.port, [head('PUT', '/files/big.bin', `${auth}Content-Length: ${10 * 1024 ** 3}\r\n`)]),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'POST whose Content-Length is over the limit is refused before any byte is sent',
    send: (t) =>
      rawRequest(t.port, [
        head('POST', '/files', `${auth}Content-Type: ${FORM_TYPE}\r\nContent-Length: ${10 * 1024 ** 3}\r\n`),
      ]),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'PUT over the limit with Expect: 100-continue gets 413 instead of 100',
    send: (t) =>
      rawRequest(t.port, [
        head(
          'PUT',
          '/files/big.bin',
          `${auth}Expect: 100-continue\r\nContent-Length: ${2 * MAX_UPLOAD_BYTES}\r\n`,
        ),
      ]),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    check: (response) => expect(response.informational).toEqual([]),
  },
  {
    name: 'PUT streamed without a length is cut off mid-stream at the limit',
    send: (t) =>
      streamUntilAnswered(`${t.url}/files/stream.bin`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${API_TOKEN}` },
        totalBytes: STREAMED,
      }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    check: answeredMidStream,
  },
  {
    name: 'POST whose file part streams past the limit is cut off mid-stream',
    send: (t) =>
      streamUntilAnswered(`${t.url}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': FORM_TYPE },
        totalBytes: STREAMED,
        head: fileHead(),
        tail: FORM_TAIL,
      }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    check: answeredMidStream,
  },
  {
    name: 'POST with a small file and an endless epilogue is cut off mid-stream',
    send: (t) =>
      streamUntilAnswered(`${t.url}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': FORM_TYPE },
        totalBytes: STREAMED,
        head: form([{ name: 'file', filename: 'small.txt', body: 'small' }]),
      }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    check: answeredMidStream,
  },
  {
    name: 'POST with a form just over the limit in one piece',
    send: (t) =>
      postForm(t, form([{ name: 'file', filename: 'a.bin', body: Buffer.alloc(MAX_UPLOAD_BYTES + 1) }])),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'a client that disconnects in the middle of a PUT',
    send: (t) =>
      abandonUpload(t, [
        head('PUT', '/files/gone.bin', `${auth}Content-Length: ${MAX_UPLOAD_BYTES}\r\n`),
        Buffer.alloc(MAX_UPLOAD_BYTES / 2, 1),
      ]),
    status: 0,
  },
  {
    name: 'a client that disconnects in the middle of a multipart file',
    send: (t) =>
      abandonUpload(t, [
        head('POST', '/files', `${auth}Content-Type: ${FORM_TYPE}\r\nTransfer-Encoding: chunked\r\n`),
        chunk(Buffer.concat([fileHead('gone.bin'), Buffer.alloc(MAX_UPLOAD_BYTES / 2, 1)])),
      ]),
    status: 0,
  },
  {
    name: 'a client that disconnects inside a part header',
    send: async (t) => {
      const request = head('POST', '/files', `${auth}Content-Type: ${FORM_TYPE}\r\nContent-Length: 5000\r\n`);
      return rawRequest(t.port, [request, fileHead().subarray(0, 40)], {
        onSocket: (socket) => void sleep(200).then(() => socket.destroy()),
      });
    },
    status: 0,
  },
  {
    name: 'a PUT that stalls is closed after the idle timeout',
    server: 'slow',
    send: (t) =>
      rawRequest(t.port, [
        head('PUT', '/files/stall.bin', 'Content-Length: 100000\r\n'),
        Buffer.alloc(50_000, 1),
      ]),
    status: 0,
  },
  {
    name: 'a PUT trickled slower than the request deadline gets 408',
    server: 'slow',
    send: (t) => trickle(t, [head('PUT', '/files/trickle.bin', 'Content-Length: 100000\r\n')], 100),
    status: 408,
    code: 'REQUEST_TIMEOUT',
  },
  {
    name: 'a multipart file trickled slower than the request deadline gets 408',
    server: 'slow',
    send: (t) =>
      trickle(
        t,
        [
          head('POST', '/files', `Content-Type: ${FORM_TYPE}\r\nContent-Length: 100000\r\n`),
          fileHead('slow.bin'),
        ],
        100,
      ),
    status: 408,
    code: 'REQUEST_TIMEOUT',
  },
  {
    name: 'an upload within the limits on the slow-client server still works',
    server: 'slow',
    send: (t) => call(t, 'PUT', '/files/quick.bin', { body: 'quick', token: null }),
    status: 201,
  },
];

/** One chunk of a chunked body. */
function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}
