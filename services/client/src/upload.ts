import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplicaTally } from '../../../shared/src/live/replica-tally.ts';
import { type ApiClient, CliError, type FileStatus } from './api-client.ts';
import { followEvents } from './event-stream.ts';
import type { Output } from './output.ts';
import { barProgress, type UploadProgress } from './upload-progress.ts';

export interface UploadOptions {
  /** Replicas to wait for; the file's target when undefined. */
  wait: number | undefined;
  timeoutMs: number;
}

/** Every replica is either stored or failed: waiting longer changes nothing. */
function settled(status: FileStatus): boolean {
  return status.nodes.length > 0 && status.nodes.every((n) => n.state === 'stored' || n.state === 'failed');
}

function failedNodes(status: FileStatus): string {
  const failed = status.nodes.filter((n) => n.state === 'failed').map((n) => n.node);
  return failed.length > 0 ? `failed on ${failed.join(', ')}` : 'timed out';
}

/** Without a terminal: the server holds the answer until the replicas (`?wait=`), then polls. */
async function uploadWaiting(api: ApiClient, path: string, options: UploadOptions): Promise<FileStatus> {
  const deadline = Date.now() + options.timeoutMs;
  let status = await api.upload(path, options.wait ?? 1000, Math.min(options.timeoutMs, 30_000));
  const wanted = Math.min(options.wait ?? status.target, status.target);
  while (status.replicas < wanted && Date.now() < deadline && !settled(status)) {
    await sleep(250);
    status = await api.status(status.id);
  }
  return status;
}

/**
 * On a terminal: the answer comes as soon as the file is durable (the bar has shown its bytes),
 * then the file's event stream counts the replicas as they land, until enough are verified, the
 * server ends the stream (the file is whole and settled) or the timeout passes.
 */
async function uploadWatched(
  api: ApiClient,
  path: string,
  options: UploadOptions,
  progress: UploadProgress,
): Promise<FileStatus> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const first = await api.upload(path, 0, 30_000, (bytes, size) => progress.sent(bytes, size));
  const wanted = Math.min(options.wait ?? first.target, first.target);
  const tally = new ReplicaTally();
  tally.apply({ type: 'status', data: { ...first } });
  progress.replicas(tally.count, tally.target);
  if (tally.count < wanted) {
    const enough = new AbortController();
    await followEvents(
      `${api.server}/files/${encodeURIComponent(first.id)}/events`,
      api.token,
      (event) => {
        if (!tally.apply(event)) return;
        progress.replicas(tally.count, tally.target);
        if (tally.count >= wanted || tally.deleted) enough.abort();
      },
      AbortSignal.any([deadline, enough.signal]),
    );
  }
  return api.status(first.id);
}

/**
 * `dfr upload <path...>`: per file its id, `Server response: UPLOAD_OK <n>` and, once `n` reached
 * the target, `Upload Successful` (the lines tools parse: unchanged whatever the terminal). On a
 * terminal a progress bar on stderr shows the bytes sent, then the replicas; with `--json`, one
 * array of the final status objects.
 */
export async function upload(
  api: ApiClient,
  out: Output,
  paths: string[],
  options: UploadOptions,
): Promise<void> {
  const results: (FileStatus & { path: string })[] = [];
  let shortfall: string | undefined;
  for (const path of paths) {
    let status: FileStatus;
    if (out.interactive) {
      const progress = barProgress(basename(path), out.stderr);
      try {
        status = await uploadWatched(api, path, options, progress);
      } finally {
        progress.stop();
      }
    } else status = await uploadWaiting(api, path, options);
    results.push({ ...status, path });
    const wanted = Math.min(options.wait ?? status.target, status.target);
    const whole = status.replicas >= status.target;
    out.line(status.id);
    out.line(`Server response: ${status.status}`);
    if (whole) out.line(out.colors.green('Upload Successful'));
    if (status.replicas < wanted) {
      shortfall = `${path}: ${status.replicas} of ${wanted} replicas confirmed (${failedNodes(status)})`;
      break;
    }
  }
  out.result(results, () => undefined);
  if (shortfall) throw new CliError(shortfall);
}
