import { request } from 'node:http';
import { expect } from 'vitest';
import type { RawResponse } from '../../support/raw-http.ts';
import type { ProcessServerName } from './process-servers.ts';

export const API_TOKEN = 'api-token-for-the-bad-input-suite';
export const CLUSTER_TOKEN = 'cluster-token-for-the-bad-input-suite';
export const MAX_UPLOAD_BYTES = 1024 * 1024;

/**
 * In the test's process: main: tokens set, downloads open. slow: short idle and request
 * timeouts, no tokens. guarded: DFR_PROTECT_DOWNLOADS with an API token. Each in its own
 * process, with tokens: edge, cutoff and full (process-servers.ts).
 */
export type ServerName = 'main' | 'slow' | 'guarded' | ProcessServerName;

export interface Target {
  name: ServerName;
  url: string;
  port: number;
  dataDir: string;
  /** A 100-byte text/plain file uploaded at start ("0123456789" ten times). */
  sampleId: string;
}

export interface BadInputCase {
  name: string;
  server?: ServerName;
  /** Sent from headless Chromium (skipped, loudly, where it is not installed and not on CI). */
  browser?: boolean;
  send(target: Target): Promise<RawResponse>;
  /** 0: the connection closed without an answer (the client went away, or the server cut it). */
  status: number;
  /** The `error.code` of the JSON body; omitted for answers that are not errors. */
  code?: string;
  check?(response: RawResponse, target: Target): void | Promise<void>;
}

export const SAMPLE = Buffer.from('0123456789'.repeat(10));

/**
 * One request on its own connection, the path sent exactly as written (no URL normalization);
 * sends the API token unless `token` says otherwise (null: none).
 */
export function call(
  target: Target,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; token?: string | null } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? API_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const where = { host: '127.0.0.1', port: target.port, path };
    const req = request({ ...where, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `{"error":{"code","message"}}` and nothing else, or undefined for a body of another shape. */
export function errorOf(response: RawResponse): { code: string; message: string } | undefined {
  try {
    const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
    const keys = Object.keys(body).join();
    const inner = body.error ? Object.keys(body.error).sort().join() : '';
    if (keys !== 'error' || inner !== 'code,message') return undefined;
    return { code: String(body.error?.code), message: String(body.error?.message) };
  } catch {
    return undefined;
  }
}

/** The JSON status object of a 201 or a status request. */
export function statusOf(response: RawResponse): {
  id: string;
  name: string;
  size: number;
  contentType: string;
} {
  return JSON.parse(response.body);
}

/** The name carried by `filename*=UTF-8''...` of a Content-Disposition header. */
export function dispositionName(header: string | undefined): string | undefined {
  const match = /filename\*=UTF-8''([^;\s]*)/.exec(header ?? '');
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

/** A download of `id` carries the safe headers and, decoded, exactly `name`. */
export async function expectSafeDownload(target: Target, id: string, name: string, contentType: string) {
  const response = await call(target, 'GET', `/files/${id}`);
  expect(response.status).toBe(200);
  const disposition = response.headers['content-disposition'] ?? '';
  expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''/);
  expect(disposition).toMatch(/^[\x20-\x7e]+$/);
  expect(dispositionName(disposition)).toBe(name);
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['content-type']).toBe(contentType);
}
