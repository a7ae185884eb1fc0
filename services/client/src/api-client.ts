import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { z } from 'zod';

/** A failure the CLI reports as one line. */
export class CliError extends Error {}

// Loose: fields the CLI does not read still reach `--json` output as the server sent them.
const Receipt = z.looseObject({
  node: z.string(),
  state: z.string(),
  sha256: z.string().optional(),
  size: z.number().optional(),
  storedAt: z.string().optional(),
  reason: z.string().optional(),
});

export const FileStatus = z.looseObject({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  sha256: z.string(),
  status: z.string(),
  replicas: z.number(),
  target: z.number(),
  nodes: z.array(Receipt).default([]),
});
export type FileStatus = z.infer<typeof FileStatus>;

const FileList = z.object({ files: z.array(FileStatus), next: z.string().nullable() });
const NodeView = z.looseObject({
  id: z.string(),
  url: z.string().nullable(),
  healthy: z.boolean(),
  lastSeen: z.string().nullable(),
  workers: z.number().optional(),
  state: z.string().optional(),
  zone: z.string().nullable().optional(),
  freeBytes: z.number().nullable().optional(),
  totalBytes: z.number().nullable().optional(),
  files: z.number().optional(),
  healing: z.number().optional(),
  drain: z.object({ remaining: z.number(), total: z.number() }).optional(),
});
const NodeList = z.array(NodeView);
export type NodeList = z.infer<typeof NodeList>;

const Counted = <T extends z.ZodType>(entry: T) =>
  z.object({ count: z.number(), files: z.array(entry).optional(), copies: z.array(entry).optional() });
export const FsckReport = z.object({
  checkedAt: z.string(),
  files: z.number(),
  underReplicated: Counted(
    z.object({ id: z.string(), name: z.string(), replicas: z.number(), target: z.number() }),
  ),
  missing: Counted(z.object({ id: z.string(), name: z.string() })),
  damaged: Counted(z.object({ id: z.string(), node: z.string(), reason: z.string() })),
  extra: Counted(z.object({ id: z.string(), node: z.string() })),
  nodesDown: z.array(z.string()),
  healthy: z.boolean(),
});
export type FsckReport = z.infer<typeof FsckReport>;

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The ingest service's HTTP API, as the CLI uses it. */
export class ApiClient {
  constructor(
    readonly server: string,
    readonly token: string | undefined,
  ) {}

  /**
   * Streams a file with `PUT /files/<name>`; memory does not grow with its size. `onSent` hears
   * the bytes handed to the connection so far (what a progress bar shows).
   */
  async upload(
    path: string,
    wait: number,
    timeoutMs: number,
    onSent?: (bytes: number, size: number) => void,
  ): Promise<FileStatus> {
    const info = await stat(path).catch(() => {
      throw new CliError(`cannot read ${path}`);
    });
    if (!info.isFile()) throw new CliError(`${path} is not a file`);
    const url = `${this.server}/files/${encodeURIComponent(basename(path))}?wait=${wait}&timeout=${timeoutMs}`;
    let body: Readable = createReadStream(path);
    if (onSent) {
      let sent = 0;
      body = body.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            sent += chunk.length;
            onSent(sent, info.size);
            done(null, chunk);
          },
        }),
      );
    }
    const response = await this.request(url, {
      method: 'PUT',
      headers: { 'content-length': String(info.size), 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(body) as unknown as RequestInit['body'],
      duplex: 'half',
    });
    return FileStatus.parse(await this.json(response));
  }

  async status(id: string): Promise<FileStatus> {
    return FileStatus.parse(
      await this.json(await this.request(`${this.server}/files/${encodeURIComponent(id)}/status`)),
    );
  }

  async list(limit: number, cursor?: string): Promise<z.infer<typeof FileList>> {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    return FileList.parse(await this.json(await this.request(`${this.server}/files?${query}`)));
  }

  async nodes(): Promise<NodeList> {
    return NodeList.parse(await this.json(await this.request(`${this.server}/nodes`)));
  }

  async drain(node: string, cancel: boolean): Promise<z.infer<typeof NodeView>> {
    const url = `${this.server}/nodes/${encodeURIComponent(node)}/drain`;
    return NodeView.parse(await this.json(await this.request(url, { method: cancel ? 'DELETE' : 'POST' })));
  }

  async removeNode(node: string): Promise<void> {
    await this.request(`${this.server}/nodes/${encodeURIComponent(node)}`, { method: 'DELETE' });
  }

  /** The cluster report; `repair` first starts every repair that can start. */
  async fsck(repair: boolean): Promise<FsckReport> {
    const response = await this.request(`${this.server}/admin/fsck`, { method: repair ? 'POST' : 'GET' });
    return FsckReport.parse(await this.json(response));
  }

  async remove(id: string): Promise<void> {
    await this.request(`${this.server}/files/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** The bytes of a file from `base` (the ingest service or a node). */
  async download(base: string, id: string): Promise<Readable> {
    const response = await this.request(`${base}/files/${encodeURIComponent(id)}`);
    if (!response.body) throw new CliError('empty response');
    return Readable.fromWeb(response.body as ReadableStream);
  }

  private async request(url: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new CliError(`cannot reach ${new URL(url).origin}: ${cause}`);
    }
    if (!response.ok) {
      const body = ErrorBody.safeParse(await response.json().catch(() => undefined));
      const detail = body.success
        ? `${body.data.error.code}: ${body.data.error.message}`
        : response.statusText;
      throw new CliError(`server answered ${response.status} (${detail})`);
    }
    return response;
  }

  private async json(response: Response): Promise<unknown> {
    return response.json().catch(() => {
      throw new CliError('server sent a response that is not JSON');
    });
  }
}
