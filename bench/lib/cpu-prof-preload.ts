import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Node 20 refuses `--cpu-prof` in NODE_OPTIONS, and startService spawns `node <bundle>` with no
 * room for flags of ours. So a small preload, allowed in NODE_OPTIONS through `--import`,
 * starts V8's profiler over the inspector and writes `CPU.<pid>.cpuprofile` (the format of
 * `--cpu-prof`) on exit; the in-process inspector answers synchronously, so an exit handler can.
 */
const PRELOAD = `import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
const dir = process.env.BENCH_CPU_PROF_DIR;
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, result) => {
    if (err || !dir) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(dir + '/CPU.' + process.pid + '.cpuprofile', JSON.stringify(result.profile));
  });
});
`;

/** Writes the preload into `root` once; returns the environment that profiles a process into `dir`. */
export async function cpuProfEnv(root: string, dir: string): Promise<Record<string, string>> {
  const preload = join(root, 'cpu-prof-preload.mjs');
  await mkdir(root, { recursive: true });
  await writeFile(preload, PRELOAD);
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    BENCH_CPU_PROF_DIR: dir,
  };
}
