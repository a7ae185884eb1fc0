import { Transform } from 'node:stream';

/**
 * Named fault points, off unless `DFR_FAULTS` lists them (comma-separated). They let the fault
 * tests hit a narrow window deterministically, e.g. kill a worker while a copy is under way.
 */
export type FaultName =
  /** Worker copies crawl (each chunk delayed), so a test can act mid-copy. */
  | 'slow-copy'
  /** A worker kills itself (SIGKILL) after storing a batch of small files, before reporting it. */
  | 'crash-after-batch-stored'
  /** Ingest kills itself when a finished tus upload's file id is saved, before the file is committed. */
  | 'crash-before-file-admitted'
  /** Ingest kills itself when a finished tus upload's file is committed, before the upload is marked finished. */
  | 'crash-after-file-admitted';

export function faultEnabled(name: FaultName, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.DFR_FAULTS ?? '').split(',').some((entry) => entry.trim() === name);
}

/** Passes chunks through, each after delayMs. */
export function throttle(delayMs: number): Transform {
  return new Transform({
    transform(chunk, _encoding, callback) {
      setTimeout(() => callback(null, chunk), delayMs);
    },
  });
}
