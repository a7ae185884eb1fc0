import { Counter, type Registry } from 'prom-client';
import { IntegrityError } from '../../../shared/src/fs/atomic-write.ts';

/** What a copy's failure was, for `dfr_worker_copy_failures_total{reason}`. */
export type FailureReason = 'source_gone' | 'source_unavailable' | 'integrity' | 'disk_full' | 'other';

/** A node worker's own figures on /metrics: copies made and their bytes, failures by reason, scrubs. */
export class WorkerMetrics {
  private readonly copies: Counter;
  private readonly bytes: Counter;
  private readonly failures: Counter<'reason'>;
  private readonly checked: Counter;
  private readonly removed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.copies = new Counter({
      name: 'dfr_worker_copies_total',
      help: 'Copies this worker stored',
      registers,
    });
    this.bytes = new Counter({
      name: 'dfr_worker_bytes_copied_total',
      help: 'Bytes of the copies this worker stored',
      registers,
    });
    this.failures = new Counter({
      name: 'dfr_worker_copy_failures_total',
      help: 'Copy attempts that failed, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.checked = new Counter({
      name: 'dfr_scrub_checked_total',
      help: 'Copies re-hashed by the scrubber',
      registers,
    });
    this.removed = new Counter({
      name: 'dfr_scrub_removed_total',
      help: 'Damaged copies the scrubber removed',
      registers,
    });
  }

  copied(bytes: number): void {
    this.copies.inc();
    this.bytes.inc(bytes);
  }

  failed(reason: FailureReason): void {
    this.failures.inc({ reason });
  }

  scrubbed(report: { checked: number; removed: readonly string[] }): void {
    this.checked.inc(report.checked);
    this.removed.inc(report.removed.length);
  }
}

/** Sorts a copy's failure into the reasons the metrics count. */
export function failureReason(err: unknown, sourceGone: boolean): FailureReason {
  if (sourceGone) return 'source_gone';
  if (err instanceof IntegrityError) return 'integrity';
  const code =
    typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'disk_full';
  if (err instanceof Error && /no source could serve|source answered/.test(err.message))
    return 'source_unavailable';
  return 'other';
}
