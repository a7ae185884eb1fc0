import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One answer and how long it took, from sending the request to the last byte of the body. */
export interface Timed {
  status: number;
  body: Buffer;
  ms: number;
}

/** Keep-alive connections, one per concurrent caller, so connection set-up is not measured. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/** Sends one request with node:http (no fetch machinery in the measured path) and reads the whole answer. */
export async function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: Buffer | Readable;
    agent?: Agent;
  } = {},
): Promise<Timed> {
  const started = performance.now();
  return new Promise<Timed>((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

/** How a file is sent: `PUT /files/<name>` (`curl -T`) or a multipart `POST /files` (`curl -F`, forms). */
export type UploadMode = 'PUT' | 'multipart';

/** `PUT /files/<name>` with a small body. */
export function putBytes(base: string, name: string, bytes: Buffer, agent: Agent): Promise<Timed> {
  return send(`${base}/files/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length },
    body: bytes,
    agent,
  });
}

/**
 * `POST /files` with `bytes` as the form's field `file`, framed as `curl -F file=@<name>` frames it
 * (one part, a filename, `application/octet-stream`).
 */
export function postMultipartBytes(base: string, name: string, bytes: Buffer, agent: Agent): Promise<Timed> {
  const boundary = `------------------------${randomBytes(12).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return send(`${base}/files`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    body,
    agent,
  });
}

/** Sends small `bytes` as file `name` the way `mode` says. */
export function uploadBytes(
  mode: UploadMode,
  base: string,
  name: string,
  bytes: Buffer,
  agent: Agent,
): Promise<Timed> {
  return mode === 'PUT' ? putBytes(base, name, bytes, agent) : postMultipartBytes(base, name, bytes, agent);
}

/** The `status` line of a status object (`UPLOAD_OK <n>`). */
export async function statusLine(base: string, id: string, agent?: Agent): Promise<string> {
  const answer = await send(`${base}/files/${id}/status`, { agent, headers: { accept: 'application/json' } });
  if (answer.status !== 200) throw new Error(`status of ${id}: HTTP ${answer.status}`);
  return (JSON.parse(answer.body.toString()) as { status: string }).status;
}

/** Parses a 201 from an upload, or throws with the answer in the message. */
export function acceptedId(answer: Timed): string {
  if (answer.status !== 201)
    throw new Error(`upload answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
  return (JSON.parse(answer.body.toString()) as { id: string }).id;
}
