import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { repoRoot } from '../../test/support/processes.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** The profile file, relative to the folder summarised. */
  file: string;
  /** Wall time the profile covers, and the part of it not idle, ms. */
  wallMs: number;
  busyMs: number;
  /** Self time by function, biggest first; percentages of busy time. */
  topFunctions: { name: string; where: string; selfMs: number; percent: number }[];
  /** Self time by where the code lives: a package, a node: module, a project file, GC, ... */
  byOwner: { owner: string; selfMs: number; percent: number }[];
}

const IDLE = new Set(['(idle)']);

/** Summarises every `.cpuprofile` under `dir` (written by `node --cpu-prof`). */
export async function summarizeProfiles(dir: string, top = 15): Promise<ProfileSummary[]> {
  const files = (await readdir(dir, { recursive: true }).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const summaries: ProfileSummary[] = [];
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    summaries.push(summarize(file, profile, top));
  }
  return summaries;
}

function summarize(file: string, profile: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time between sample i-1 and sample i: charge it to sample i.
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const owner = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || IDLE.has(frame.functionName)) continue;
    busyUs += us;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = fn.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const who = ownerOf(frame.url, frame.functionName);
    owner.set(who, (owner.get(who) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / Math.max(1, busyUs)) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    file,
    wallMs: ms(profile.endTime - profile.startTime),
    busyMs: ms(busyUs),
    topFunctions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: ms(e.us), percent: pct(e.us) })),
    byOwner: [...owner.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([o, us]) => ({ owner: o, selfMs: ms(us), percent: pct(us) })),
  };
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(repoRoot) ? relative(repoRoot, path) : path;
}

/** `node_modules/<pkg>`, `node:<module>`, a project file, or V8's own buckets ((garbage collector), (program)). */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const path = shortUrl(url);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg?.[1]) return `npm:${pkg[1]}`;
  return path;
}

/** Text for the console: per profile, the top owners and functions. */
export function formatProfileSummaries(summaries: ProfileSummary[]): string {
  return summaries
    .map((s) =>
      [
        `== ${s.file}: busy ${s.busyMs} ms of ${s.wallMs} ms`,
        '  by owner:',
        ...s.byOwner
          .slice(0, 10)
          .map((o) => `    ${o.percent.toFixed(1).padStart(5)}%  ${o.selfMs} ms  ${o.owner}`),
        '  top functions (self):',
        ...s.topFunctions.map(
          (f) => `    ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs} ms  ${f.name}  ${f.where}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}
