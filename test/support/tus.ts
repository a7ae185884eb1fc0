import { createHash } from 'node:crypto';
import { request } from 'node:http';

/** What every tus request but OPTIONS carries. */
export const TUS_RESUMABLE = { 'tus-resumable': '1.0.0' };
export const OFFSET_STREAM = { 'content-type': 'application/offset+octet-stream' };

export interface TusAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export interface TusCallOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  /** Sent as `Authorization: Bearer`; null: none. */
  token?: string | null;
}

/** One request to ingest with Tus-Resumable (unless `headers` overrides it) and the token. */
export async function tusCall(
  base: string,
  method: string,
  path: string,
  options: TusCallOptions = {},
): Promise<TusAnswer> {
  const headers: Record<string, string> = { ...TUS_RESUMABLE, ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(options.body ? { body: new Uint8Array(options.body) } : {}),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** `Upload-Metadata` for these pairs. */
export function metadataHeader(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** `Upload-Checksum` of `bytes`. */
export function checksumHeader(algorithm: 'sha1' | 'sha256' | 'md5', bytes: Buffer): string {
  return `${algorithm} ${createHash(algorithm).update(bytes).digest('base64')}`;
}

/** The `error.code` of a JSON error body. */
export function errorCode(answer: TusAnswer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/**
 * A PATCH whose body is sent in two steps: `first` once the server invited the body with
 * `100 Continue` (so the server has taken the upload's lock), the rest when `finish` is called,
 * or never when `cut` drops the connection instead. Rejects when the server answers first.
 */
export function heldPatch(
  port: number,
  path: string,
  offset: number,
  total: Buffer,
  first: number,
  headers: Record<string, string>,
): Promise<{ finish(): Promise<number>; cut(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'PATCH',
      agent: false,
      headers: {
        ...TUS_RESUMABLE,
        ...OFFSET_STREAM,
        ...headers,
        'upload-offset': String(offset),
        'content-length': String(total.length),
        expect: '100-continue',
      },
    });
    let invited = false;
    const answered = new Promise<number>((done, failed) => {
      req.on('response', (res) => {
        res.resume();
        done(res.statusCode ?? 0);
        if (!invited) reject(new Error(`answered ${res.statusCode} before inviting the body`));
      });
      req.on('error', failed);
    });
    answered.catch(() => undefined);
    req.on('error', reject);
    req.on('continue', () => {
      invited = true;
      req.write(total.subarray(0, first), () =>
        resolve({
          finish: () => {
            req.end(total.subarray(first));
            return answered;
          },
          cut: async () => {
            req.destroy();
          },
        }),
      );
    });
  });
}
