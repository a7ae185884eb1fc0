import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from '../../../shared/src/fs/hashing-stream.ts';
import { type ApiClient, CliError } from './api-client.ts';
import { followEvents, type StreamEvent } from './event-stream.ts';
import { type Output, paintState } from './output.ts';

/** One event as a line: time, type, node, and what else it says that matters. */
export function eventLine(event: StreamEvent): string {
  const { type, at, node, fileId, reason, replicas, target, name } = event.data as Record<
    string,
    string | number
  >;
  const detail = [
    node,
    name,
    replicas !== undefined && target !== undefined ? `${replicas}/${target}` : undefined,
    reason,
  ].filter((part) => part !== undefined);
  const subject = event.type === 'status' ? (event.data.status as string) : fileId;
  return [
    String(at ?? new Date().toISOString()),
    String(type ?? event.type).padEnd(16),
    subject ?? '',
    ...detail,
  ]
    .join(' ')
    .trimEnd();
}

/**
 * `dfr status <id> [--watch]`: the file's status; with --watch, its live events (the SSE stream)
 * until it is whole, then the status again. With `--json`: the status object; with both, one
 * JSON object per line, each event as `{id, type, data}` and the status last as `{type: "status"}`.
 */
export async function status(
  api: ApiClient,
  out: Output,
  id: string,
  options: { watch?: boolean } = {},
): Promise<void> {
  if (options.watch) {
    await followEvents(`${api.server}/files/${encodeURIComponent(id)}/events`, api.token, (event) =>
      out.stream(event, () => out.line(eventLine(event))),
    );
  }
  const file = await api.status(id);
  const print = () => {
    out.line(file.status);
    out.line(`${file.name}  ${file.size} bytes  sha256 ${file.sha256}`);
    for (const node of file.nodes) {
      const state = paintState(out.colors, node.state, node.state.padEnd(8));
      out.line(`  ${node.node.padEnd(10)} ${state} ${node.storedAt ?? node.reason ?? ''}`.trimEnd());
    }
  };
  if (options.watch) out.stream({ id: undefined, type: 'status', data: file }, print);
  else out.result(file, print);
}

/**
 * Downloads into a temporary file beside the target while hashing, and renames it into place
 * only when the SHA-256 matches what the ingest service recorded.
 */
export async function download(
  api: ApiClient,
  out: Output,
  id: string,
  options: { output: string | undefined; from: string | undefined },
): Promise<void> {
  const file = await api.status(id);
  const base = options.from ? await nodeUrl(api, options.from) : api.server;
  const target = resolve(options.output ?? safeLocalName(file.name, file.id));
  const tmp = join(dirname(target), `.${basename(target)}.${randomUUID()}.part`);
  const hashing = new HashingStream();
  try {
    await pipeline(await api.download(base, id), hashing, createWriteStream(tmp, { flags: 'wx' }));
    const digest = hashing.digest();
    if (digest.sha256 !== file.sha256 || digest.size !== file.size) {
      throw new CliError(`downloaded bytes do not match: SHA-256 ${digest.sha256}, expected ${file.sha256}`);
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  out.result({ id: file.id, path: target, size: file.size, sha256: file.sha256 }, () => {
    out.line(`Saved ${target} (${file.size} bytes, sha256 ${file.sha256})`);
    out.line(out.colors.green('Download Successful'));
  });
}

async function nodeUrl(api: ApiClient, node: string): Promise<string> {
  const entry = (await api.nodes()).find((n) => n.id === node);
  if (!entry) throw new CliError(`unknown node ${node}`);
  if (!entry.url || !entry.healthy) throw new CliError(`node ${node} is not reachable right now`);
  return entry.url;
}

/** The server's display name is already a bare name; refuse anything that still looks like a path. */
function safeLocalName(name: string, id: string): string {
  const bare = basename(name);
  return bare === name && bare !== '' && bare !== '.' && bare !== '..' ? bare : id;
}

/** `dfr ls`: newest first; `--json`: the page as the server sent it (`{files, next}`). */
export async function list(api: ApiClient, out: Output, limit: number): Promise<void> {
  const page = await api.list(limit);
  out.result(page, () => {
    for (const file of page.files) {
      out.line(`${file.id}  ${file.status.padEnd(12)} ${String(file.size).padStart(12)}  ${file.name}`);
    }
    if (page.next) out.line(`(more: --cursor ${page.next})`);
  });
}

export async function remove(api: ApiClient, out: Output, id: string): Promise<void> {
  await api.remove(id);
  out.result({ deleted: id }, () => out.line(`Deleted ${id}`));
}

/** `dfr events`: the cluster's events as they happen, one line each (`--json`: one object each), until interrupted. */
export async function events(api: ApiClient, out: Output): Promise<void> {
  await followEvents(`${api.server}/events`, api.token, (event) =>
    out.stream(event, () => out.line(eventLine(event))),
  );
}
