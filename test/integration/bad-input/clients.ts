import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RawResponse } from '../../support/raw-http.ts';
import { curlFile, curlOutput } from './curl.ts';
import { FORM_TAIL, FORM_TYPE, fileHead } from './form.ts';
import { API_TOKEN, type Target } from './harness.ts';

/** An upload as the real clients below send it: its route, its size and what it carries. */
export interface Upload {
  route: 'put' | 'form';
  bytes: number;
  /** Sent as a Bearer token; null: none. Default API_TOKEN. */
  token?: string | null;
  /** Appended to the path, e.g. `?wait=abc`. */
  query?: string;
  /** More request headers (fetch only). */
  headers?: Record<string, string>;
  /** http.request and curl only: send `Expect: 100-continue` and wait for the 100 first. */
  expect?: boolean;
  /**
   * Send the file slowly, to meet the request deadline: one 1 KiB piece per paceMs. curl sends
   * its first 64 KiB at once whatever --limit-rate says, then sleeps off the excess before it
   * reads the answer, so it is held to 128 KiB/s instead (a 480 KiB body then takes 3 s).
   */
  paceMs?: number;
}

const CLIENT_TIMEOUT_MS = 60_000;
const PIECE = Buffer.alloc(64 * 1024, 0x61);
const PACED_PIECE = PIECE.subarray(0, 1024);

export function uploadPath(upload: Upload): string {
  return `${upload.route === 'put' ? '/files/upload.bin' : '/files'}${upload.query ?? ''}`;
}

function tokenHeader(upload: Upload): Record<string, string> {
  const token = upload.token === undefined ? API_TOKEN : upload.token;
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** The file's bytes, as a client reading it from disk hands them over, piece by piece. */
async function* fileBytes(upload: Upload): AsyncGenerator<Buffer> {
  const piece = upload.paceMs === undefined ? PIECE : PACED_PIECE;
  for (let left = upload.bytes; left > 0; left -= piece.length) {
    if (upload.paceMs !== undefined) await new Promise((resolve) => setTimeout(resolve, upload.paceMs));
    yield piece.subarray(0, Math.min(left, piece.length));
  }
}

/** The request body: the file alone for PUT, the file in field `file` of a form for POST. */
async function* bodyOf(upload: Upload): AsyncGenerator<Buffer> {
  if (upload.route === 'form') yield fileHead();
  yield* fileBytes(upload);
  if (upload.route === 'form') yield FORM_TAIL;
}

function bodyLength(upload: Upload): number {
  return upload.route === 'form' ? fileHead().length + upload.bytes + FORM_TAIL.length : upload.bytes;
}

const failed = (what: string, err: unknown): RawResponse => {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  return { status: 0, headers: {}, body: `${what}: ${(err as Error).message} (${cause ?? 'no code'})` };
};

/** Node's built-in fetch (undici): a Uint8Array for PUT, FormData for POST, a stream when paced. */
export async function fetchUpload(target: Target, upload: Upload): Promise<RawResponse> {
  const headers = { ...tokenHeader(upload), ...upload.headers };
  let body: RequestInit['body'];
  if (upload.paceMs !== undefined) {
    body = Readable.toWeb(Readable.from(bodyOf(upload))) as ReadableStream<Uint8Array>;
    if (upload.route === 'form') headers['content-type'] = FORM_TYPE;
  } else if (upload.route === 'put') {
    body = new Uint8Array(upload.bytes).fill(0x61);
  } else {
    body = new FormData();
    body.append('file', new Blob([new Uint8Array(upload.bytes).fill(0x61)]), 'upload.bin');
  }
  try {
    const response = await fetch(`${target.url}${uploadPath(upload)}`, {
      method: upload.route === 'put' ? 'PUT' : 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      // A stream body needs it; undici sends the request body while the answer may already come.
      ...(upload.paceMs === undefined ? {} : { duplex: 'half' }),
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, headers: Object.fromEntries(response.headers), body: text };
  } catch (err) {
    return failed('fetch', err);
  }
}

/**
 * `http.request` with the body piped from a stream, as a program uploading a file does, with a
 * Content-Length; with `expect`, the body is sent only after `100 Continue`.
 */
export function streamUpload(target: Target, upload: Upload): Promise<RawResponse> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {
      ...tokenHeader(upload),
      'content-length': String(bodyLength(upload)),
      ...(upload.route === 'form' ? { 'content-type': FORM_TYPE } : {}),
      ...(upload.expect ? { expect: '100-continue' } : {}),
    };
    const req = request(
      `${target.url}${uploadPath(upload)}`,
      { method: upload.route === 'put' ? 'PUT' : 'POST', headers, agent: false, timeout: CLIENT_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body }),
        );
        res.on('error', (err) => resolve(failed('http.request response', err)));
      },
    );
    req.on('error', (err) => resolve(failed('http.request', err)));
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    // The client stops sending once it has its answer; a failed send is that, not a failure.
    const send = () => void pipeline(Readable.from(bodyOf(upload)), req).catch(() => undefined);
    if (upload.expect) req.once('continue', send);
    else send();
  });
}

/** `curl -T` (PUT) or `curl -F file=@...` (POST), Expect sent or switched off explicitly. */
export async function curlUpload(target: Target, upload: Upload): Promise<RawResponse> {
  const file = await curlFile(upload.bytes);
  const args = [
    ...Object.entries(tokenHeader(upload)).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    '-H',
    upload.expect ? 'Expect: 100-continue' : 'Expect:',
    ...(upload.paceMs === undefined ? [] : ['--limit-rate', '128k']),
    ...(upload.route === 'put' ? ['-T', file] : ['-F', `file=@${file};filename=upload.bin`]),
    `${target.url}${uploadPath(upload)}`,
  ];
  return curlOutput(args, CLIENT_TIMEOUT_MS);
}
