import { performance } from 'node:perf_hooks';
import { sleep } from '../../test/support/wait-for.ts';
import { acceptedId, keepAliveAgent, statusLine, type UploadMode, uploadBytes } from './http-client.ts';
import { runPool } from './pool.ts';
import type { ReplicaTap } from './replica-tap.ts';

/** How long one file may take to reach UPLOAD_OK 3 before the run counts as failed. */
const FILE_TIMEOUT_MS = 120_000;
const STATUS_POLL_MS = 2;

export interface SmallUploadRun {
  files: number;
  seconds: number;
  /** Files at UPLOAD_OK 3 per second, first upload sent to last UPLOAD_OK 3 seen. */
  filesPerSecond: number;
  /** Per file: request sent → 201 (the bytes and metadata are durable on ingest). */
  uploadMs: number[];
  /** Per file: request sent → ingest's status says UPLOAD_OK 3. */
  uploadToOk3Ms: number[];
}

/**
 * How the lanes pace themselves. `closed`: each lane waits for its file to reach UPLOAD_OK 3
 * before sending the next, so `concurrency` files are in flight end to end, as in the baseline
 * (where a file is done after its fourth copy). `pipelined`: each lane sends its next file after
 * the 201, so `concurrency` uploads are in flight and replication runs behind them.
 */
export type LaneMode = 'closed' | 'pipelined';

/** A run's label in tables and plots: `PUT, 32 lanes`, `multipart, 1 lane, pipelined`. */
export function smallRunLabel(run: { upload: UploadMode; lanes: number; mode: LaneMode }): string {
  return `${run.upload}, ${run.lanes} lane${run.lanes === 1 ? '' : 's'}${run.mode === 'pipelined' ? ', pipelined' : ''}`;
}

/**
 * Uploads `files` slices of `bytes` (by `upload`, default PUT; no `wait`) with `concurrency` in flight, and
 * times each to its 201 and to UPLOAD_OK 3; `mode` says whether a lane waits for the latter.
 * With several ingest URLs, file i goes to URL i mod n, and its status is asked of the same one.
 */
export async function smallUploadRun(options: {
  urls: readonly string[];
  tap: ReplicaTap;
  bytes: Buffer;
  files: number;
  fileBytes: number;
  concurrency: number;
  mode: LaneMode;
  upload?: UploadMode;
  target?: number;
}): Promise<SmallUploadRun> {
  const target = options.target ?? 3;
  const agent = keepAliveAgent(options.concurrency * 2);
  const uploadMs: number[] = new Array(options.files);
  const uploadToOk3Ms: number[] = new Array(options.files);
  const urlOf = (i: number) => options.urls[i % options.urls.length] ?? '';
  const untilOk = async (i: number, id: string, sent: number) => {
    await withTimeout(options.tap.storedOn(id, target), FILE_TIMEOUT_MS, `${target} replicas of ${id}`);
    // The tap says the last replica was reported; ingest may need a moment to record it.
    while ((await statusLine(urlOf(i), id, agent)) !== `UPLOAD_OK ${target}`) {
      if (performance.now() - sent > FILE_TIMEOUT_MS)
        throw new Error(`${id} never reached UPLOAD_OK ${target}`);
      await sleep(STATUS_POLL_MS);
    }
    uploadToOk3Ms[i] = performance.now() - sent;
  };
  const behind: Promise<void>[] = [];
  const started = performance.now();
  try {
    await runPool(options.files, options.concurrency, async (i) => {
      const data = options.bytes.subarray(i * options.fileBytes, (i + 1) * options.fileBytes);
      const sent = performance.now();
      const answer = await uploadBytes(options.upload ?? 'PUT', urlOf(i), `small-${i}.bin`, data, agent);
      uploadMs[i] = performance.now() - sent;
      const waited = untilOk(i, acceptedId(answer), sent);
      if (options.mode === 'closed') {
        await waited;
      } else {
        // Awaited by Promise.all below; the handler only spares Node calling it unhandled meanwhile.
        waited.catch(() => undefined);
        behind.push(waited);
      }
    });
    await Promise.all(behind);
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return { files: options.files, seconds, filesPerSecond: options.files / seconds, uploadMs, uploadToOk3Ms };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
