import { readFileSync, writeFileSync } from 'node:fs';

const POLL_MS = 100;

/** A `VmXxx:  123 kB` line of /proc/<pid>/status, in bytes; undefined once the process is gone. */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory of one process over a phase of the benchmark. The kernel keeps the peak
 * (VmHWM); writing 5 to /proc/<pid>/clear_refs resets it to the current RSS, so one long-lived
 * service can be measured phase by phase. Where that reset is refused, VmRSS is polled instead.
 */
export class PeakRss {
  private polledMax = 0;
  private timer: NodeJS.Timeout | undefined;
  private resetWorked = false;

  constructor(readonly pid: number) {}

  /** Starts a phase: resets the kernel's peak and starts polling. */
  start(): this {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.resetWorked = true;
    } catch {
      this.resetWorked = false;
    }
    this.polledMax = procStatusBytes(this.pid, 'VmRSS') ?? 0;
    this.timer = setInterval(() => {
      this.polledMax = Math.max(this.polledMax, procStatusBytes(this.pid, 'VmRSS') ?? 0);
    }, POLL_MS);
    this.timer.unref();
    return this;
  }

  /** Ends the phase; call while the process still runs. Bytes. */
  stop(): { peakBytes: number; source: 'VmHWM' | 'VmRSS polling' } {
    clearInterval(this.timer);
    const hwm = this.resetWorked ? procStatusBytes(this.pid, 'VmHWM') : undefined;
    if (hwm !== undefined) return { peakBytes: Math.max(hwm, this.polledMax), source: 'VmHWM' };
    return { peakBytes: this.polledMax, source: 'VmRSS polling' };
  }
}
