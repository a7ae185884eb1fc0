import type { BenchResults, PeakRssMiB, TargetCheck } from './results.ts';

/** The targets. */
export const TARGETS = {
  largeRatioMax: 1.3,
  rssMaxMiB: 128,
  smallRatioMin: 0.6,
  statusP99MaxMs: 5,
  startupMaxMs: 2000,
} as const;

/** Checks a run's numbers against TARGETS. */
export function checkTargets(r: Omit<BenchResults, 'targets' | 'totalSeconds'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (r.large) {
    for (const run of r.large.runs) {
      checks.push({
        scenario: `large ${run.mode}`,
        what: 'time to UPLOAD_OK 3 / baseline',
        target: `≤ ${TARGETS.largeRatioMax}`,
        measured: `${run.ratioToBaseline.toFixed(2)} (${run.secondsToUploadOk3.toFixed(1)} s vs ${r.large.baseline.seconds.toFixed(1)} s)`,
        met: run.ratioToBaseline <= TARGETS.largeRatioMax,
      });
      checks.push(...rssChecks(`large ${run.mode}`, run.peakRssMiB));
    }
  }
  if (r.small) {
    checks.push({
      scenario: 'small',
      what: 'files/s to UPLOAD_OK 3 / baseline',
      target: `≥ ${TARGETS.smallRatioMin}`,
      measured: `${r.small.ratioToBaseline.toFixed(2)} (${r.small.service.filesPerSecond.toFixed(1)} vs ${r.small.baseline.filesPerSecond.toFixed(1)} files/s)`,
      met: r.small.ratioToBaseline >= TARGETS.smallRatioMin,
    });
    // "Whatever the file size": many small files in flight must fit the same budget.
    checks.push(...rssChecks('small', r.small.service.peakRssMiB));
    const pipelined = r.small.pipelined;
    if (pipelined) {
      // The wording allows either pacing of the lanes; both are shown, neither hidden.
      checks.push({
        scenario: 'small pipelined',
        what: 'files/s to UPLOAD_OK 3 / baseline',
        target: `≥ ${TARGETS.smallRatioMin}`,
        measured: `${pipelined.ratioToBaseline.toFixed(2)} (${pipelined.filesPerSecond.toFixed(1)} vs ${r.small.baseline.filesPerSecond.toFixed(1)} files/s)`,
        met: pipelined.ratioToBaseline >= TARGETS.smallRatioMin,
      });
      checks.push(...rssChecks('small pipelined', pipelined.peakRssMiB));
    }
  }
  if (r.metadata) {
    const s = r.metadata.scaled;
    checks.push({
      scenario: `metadata ${s.files.toLocaleString('en-US')}`,
      what: 'GET /files/<id>/status p99',
      target: `< ${TARGETS.statusP99MaxMs} ms`,
      measured: `${s.statusMs.p99.toFixed(2)} ms`,
      met: s.statusMs.p99 < TARGETS.statusP99MaxMs,
    });
    checks.push({
      scenario: `metadata ${s.files.toLocaleString('en-US')}`,
      what: 'ingest start-up (median of 3)',
      target: `< ${TARGETS.startupMaxMs} ms`,
      measured: `${Math.round(s.startupMedianMs)} ms (${Math.round(r.metadata.baseline.startupMedianMs)} ms at ${r.metadata.baseline.files.toLocaleString('en-US')} files)`,
      met: s.startupMedianMs < TARGETS.startupMaxMs,
    });
  }
  return checks;
}

/** Peak RSS of ingest and of the largest worker against the memory target. */
function rssChecks(scenario: string, peakRssMiB: PeakRssMiB): TargetCheck[] {
  const ingest = peakRssMiB.ingest ?? Number.NaN;
  const worker = Object.entries(peakRssMiB)
    .filter(([name]) => name !== 'ingest')
    .sort((a, b) => b[1] - a[1])[0];
  return [
    {
      scenario,
      what: 'peak RSS ingest',
      target: `< ${TARGETS.rssMaxMiB} MiB`,
      measured: `${ingest} MiB`,
      met: ingest < TARGETS.rssMaxMiB,
    },
    {
      scenario,
      what: 'peak RSS of each worker (largest shown)',
      target: `< ${TARGETS.rssMaxMiB} MiB`,
      measured: worker ? `${worker[1]} MiB (${worker[0]})` : '–',
      met: worker !== undefined && worker[1] < TARGETS.rssMaxMiB,
    },
  ];
}
