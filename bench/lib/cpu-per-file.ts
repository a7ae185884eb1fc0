import type { CpuSeconds } from './results.ts';

/** CPU milliseconds per file of one process (or of all), split as /proc/<pid>/stat splits it. */
export interface CpuMs {
  /** utime: the process's own code (JS, V8, libuv, SQLite, hashing). */
  user: number;
  /** stime: the kernel on its behalf (file creation, fsync, sockets). */
  system: number;
  total: number;
}

export interface CpuPerFile {
  processes: Record<string, CpuMs>;
  /** Every process measured: ingest, the workers, RabbitMQ (when local) and the bench client. */
  total: CpuMs;
}

/** A run's CPU seconds per process as milliseconds per file, with the cluster's sum. */
export function cpuPerFile(cpu: CpuSeconds, files: number): CpuPerFile {
  const perFile = (user: number, system: number): CpuMs => ({
    user: round((user * 1000) / files),
    system: round((system * 1000) / files),
    total: round(((user + system) * 1000) / files),
  });
  const entries = Object.entries(cpu);
  const sum = (pick: (c: { user: number; system: number }) => number) =>
    entries.reduce((acc, [, c]) => acc + pick(c), 0);
  return {
    processes: Object.fromEntries(entries.map(([name, c]) => [name, perFile(c.user, c.system)])),
    total: perFile(
      sum((c) => c.user),
      sum((c) => c.system),
    ),
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
