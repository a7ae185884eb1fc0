import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ); 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

/** User and system CPU seconds a process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process uses from now until the returned function is called. */
export function cpuMeter(pid: number): () => { user: number; system: number } {
  const start = cpuSeconds(pid) ?? { user: 0, system: 0 };
  return () => {
    const end = cpuSeconds(pid) ?? start;
    return { user: round(end.user - start.user), system: round(end.system - start.system) };
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Share of the machine's CPU time (all cores) that was busy from now until the returned function
 * is called, in percent: near 100 means the phase was bound by CPU, whatever else it waited on.
 */
export function machineCpuMeter(): () => number {
  const start = machineTicks();
  return () => {
    const end = machineTicks();
    const total = end.total - start.total;
    return total > 0 ? Math.round((1 - (end.idle - start.idle) / total) * 1000) / 10 : Number.NaN;
  };
}

function machineTicks(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: idle and iowait are the idle part.
  return { idle: (ticks[3] ?? 0) + (ticks[4] ?? 0), total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** CPU seconds this process (the benchmark's client side) uses until the returned function is called. */
export function ownCpuMeter(): () => { user: number; system: number } {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return { user: round(used.user / 1e6), system: round(used.system / 1e6) };
  };
}
