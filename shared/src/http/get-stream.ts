import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface GetStreamOptions {
  headers?: Record<string, string>;
  /** The request fails when the socket is idle this long (headers or body). */
  idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * `GET url` with node:http, resolving with the response once its headers are in; the body is
 * the socket's own Buffers. Used for blob pulls instead of `fetch`, whose web streams allocate
 * per chunk: on a 1 GiB copy they cost a worker seconds of garbage collection.
 * A body cut short fails the stream (Node reports `ECONNRESET`/aborted).
 */
export function getStream(url: string, options: GetStreamOptions = {}): Promise<IncomingMessage> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: options.headers ?? {} }, resolve);
    req.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
      req.destroy(new Error(`no data from ${new URL(url).host} within the idle timeout`)),
    );
    // Not once: a socket failing mid-body errors the request again, after the response resolved.
    req.on('error', reject);
    req.end();
  });
}

/**
 * Reads and drops the rest of a response so its keep-alive connection can be reused; a
 * connection failing meanwhile only loses that connection.
 */
export function discard(response: IncomingMessage): void {
  response.on('error', () => undefined);
  response.resume();
}
