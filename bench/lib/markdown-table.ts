import type { PeakRssMiB, UsageTables } from './results.ts';

// Cells, rows and sentences of the generated part of docs/BENCHMARKS.md.

/** CPU seconds per process as /proc/<pid>/stat splits them: user (own code) / system (the kernel). */
export function cpuSplitText(u: UsageTables): string {
  const cpu = Object.entries(u.cpuSeconds)
    .map(([name, c]) => `${name} ${c.user.toFixed(1)} / ${c.system.toFixed(1)}`)
    .join(', ');
  return `CPU seconds, user / system: ${cpu}; all cores ${u.machineCpuBusyPercent}% busy.`;
}

export function workerRss(peaks: PeakRssMiB): string {
  const workers = Object.entries(peaks).filter(([name]) => name !== 'ingest');
  return workers.map(([name, mib]) => `${name} ${mib}`).join(', ') + (workers.length ? ' MiB' : '');
}

export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function rule(n: number): string {
  return `|${' --- |'.repeat(n)}`;
}

export function f(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}
