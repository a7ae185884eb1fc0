import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the numbers were measured on. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  /** The filesystem holding the benchmark's stores, as `df` and `mount` see it. */
  disk: { path: string; device: string; fsType: string; sizeGiB: number; availableGiB: number };
  kernel: string;
  /** 1, 5 and 15 minute load averages when the run started: other work shares the machine. */
  loadAverage: number[];
  node: string;
  rabbitmq: string | null;
}

export async function machineInfo(storePath: string): Promise<MachineInfo> {
  const df =
    (await run('df', ['-P', '-T', '-k', storePath])).stdout.trim().split('\n').at(-1)?.split(/\s+/) ?? [];
  const kernel = (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3),
    disk: {
      path: storePath,
      device: df[0] ?? 'unknown',
      fsType: df[1] ?? 'unknown',
      sizeGiB: round(Number(df[2]) / 1024 ** 2),
      availableGiB: round(Number(df[4]) / 1024 ** 2),
    },
    kernel,
    loadAverage: loadavg().map(round),
    node: process.version,
    rabbitmq: await rabbitVersion(),
  };
}

async function rabbitVersion(): Promise<string | null> {
  try {
    const { stdout } = await run('/usr/lib/rabbitmq/bin/rabbitmqctl', ['version'], { timeout: 20_000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
