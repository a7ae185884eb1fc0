import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HashingStream } from '../../../shared/src/fs/hashing-stream.ts';
import { type ApiClient, CliError, type FileStatus } from './api-client.ts';
import { followEvents, type StreamEvent } from './event-stream.ts';

export type Print = (line: string) => void;

/** Uploads each file, then waits (polling if needed) until `wait` replicas or the timeout. */
export async function upload(
  api: ApiClient,
  print: Print,
  paths: string[],
  options: { wait: number | undefined; timeoutMs: number },
): Promise<void> {
  for (const path of paths) {
    const deadline = Date.now() + options.timeoutMs;
    let status = await api.upload(path, options.wait ?? 1000, Math.min(options.timeoutMs, 30_000));
    const wanted = Math.min(options.wait ?? status.target, status.target);
    print(status.id);
    while (status.replicas < wanted && Date.now() < deadline && !settled(status)) {
      await sleep(250);
      status = await api.status(status.id);
    }
    print(`Server response: ${status.status}`);
    if (status.replicas >= status.target) print('Upload Successful');
    if (status.replicas < wanted) {
      throw new CliError(
        `${path}: ${status.replicas} of ${wanted} replicas confirmed (${failedNodes(status)})`,
      );
    }
  }
}

/** Every replica is either stored or failed: waiting longer changes nothing. */
function settled(status: FileStatus): boolean {
  return status.nodes.length > 0 && status.nodes.every((n) => n.state === 'stored' || n.state === 'failed');
}

function failedNodes(status: FileStatus): string {
  const failed = status.nodes.filter((n) => n.state === 'failed').map((n) => n.node);
  return failed.length > 0 ? `failed on ${failed.join(', ')}` : 'timed out';
}

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
 * until it is whole, then the status again.
 */
export async function status(
  api: ApiClient,
  print: Print,
  id: string,
  options: { watch?: boolean } = {},
): Promise<void> {
  if (options.watch) {
    await followEvents(`${api.server}/files/${encodeURIComponent(id)}/events`, api.token, (event) =>
      print(eventLine(event)),
    );
  }
  const file = await api.status(id);
  print(file.status);
  print(`${file.name}  ${file.size} bytes  sha256 ${file.sha256}`);
  for (const node of file.nodes) {
    print(
      `  ${node.node.padEnd(10)} ${node.state.padEnd(8)} ${node.storedAt ?? node.reason ?? ''}`.trimEnd(),
    );
  }
}

/**
 * Downloads into a temporary file beside the target while hashing, and renames it into place
 * only when the SHA-256 matches what the ingest service recorded.
 */
export async function download(
  api: ApiClient,
  print: Print,
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
  print(`Saved ${target} (${file.size} bytes, sha256 ${file.sha256})`);
  print('Download Successful');
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

export async function list(api: ApiClient, print: Print, limit: number): Promise<void> {
  const page = await api.list(limit);
  for (const file of page.files) {
    print(`${file.id}  ${file.status.padEnd(12)} ${String(file.size).padStart(12)}  ${file.name}`);
  }
  if (page.next) print(`(more: --cursor ${page.next})`);
}

export async function remove(api: ApiClient, print: Print, id: string): Promise<void> {
  await api.remove(id);
  print(`Deleted ${id}`);
}

/** `dfr events`: the cluster's events as they happen, one line each, until interrupted. */
export async function events(api: ApiClient, print: Print): Promise<void> {
  await followEvents(`${api.server}/events`, api.token, (event) => print(eventLine(event)));
}
