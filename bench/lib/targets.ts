import type { BenchResults, PeakRssMiB, SmallResult, TargetCheck } from './results.ts';
import { smallRunLabel } from './small-upload-run.ts';

/** The targets of issue 16 ("Near the disk's limit"), with the memory and metadata targets before it. */
export const TARGETS = {
  largeRatioMax: 1.2,
  rssMaxMiB: 128,
  smallRatioMin: 0.6,
  smallSwiftMultipleMin: 5,
  small201P50MaxMs: 20,
  small201P99MaxMs: 100,
  oneLaneOk3P50MaxMs: 25,
  statusP99MaxMs: 5,
  startupMaxMs: 2000,
} as const;

/** OpenStack Swift (SAIO, 3 replicas), 4 KiB PUTs on this machine, objects/s (issue 16). */
export const SWIFT_4K_PUTS_PER_SECOND = { low: 44, high: 72 } as const;

/** Checks a run's numbers against TARGETS. */
export function checkTargets(r: Omit<BenchResults, 'targets' | 'totalSeconds'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (r.large) {
    for (const run of r.large.runs) {
      const scenario = `large ${run.mode}`;
      // The large target is for `curl -T`; the multipart run is shown, not judged.
      if (run.mode === 'PUT')
        checks.push({
          scenario,
          what: 'time to UPLOAD_OK 3 / baseline (curl -T)',
          target: `≤ ${TARGETS.largeRatioMax}`,
          measured: `${run.ratioToBaseline.toFixed(2)} (${run.secondsToUploadOk3.toFixed(1)} s vs ${r.large.baseline.seconds.toFixed(1)} s)`,
          met: run.ratioToBaseline <= TARGETS.largeRatioMax,
        });
      checks.push(...rssChecks(scenario, run.peakRssMiB));
    }
  }
  if (r.small) checks.push(...smallChecks(r.small));
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

function smallChecks(small: SmallResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const baseline = small.baseline.filesPerSecond;
  for (const run of small.runs.filter((x) => x.mode === 'closed')) {
    const scenario = `small ${smallRunLabel(run)}`;
    if (run.lanes === 1) {
      checks.push({
        scenario,
        what: 'upload → UPLOAD_OK 3 p50',
        target: `< ${TARGETS.oneLaneOk3P50MaxMs} ms`,
        measured: `${run.uploadToOk3Ms.p50.toFixed(1)} ms`,
        met: run.uploadToOk3Ms.p50 < TARGETS.oneLaneOk3P50MaxMs,
      });
      continue;
    }
    const swift = small.swiftFilesPerSecond;
    checks.push(
      {
        scenario,
        what: 'files/s to UPLOAD_OK 3 / baseline',
        target: `≥ ${TARGETS.smallRatioMin}`,
        measured: `${run.ratioToBaseline.toFixed(2)} (${run.filesPerSecond.toFixed(1)} vs ${baseline.toFixed(1)} files/s)`,
        met: run.ratioToBaseline >= TARGETS.smallRatioMin,
      },
      {
        scenario,
        what: `files/s to UPLOAD_OK 3 / Swift's ${swift.high} (and ${swift.low}) 4 KiB PUTs/s`,
        target: `≥ ${TARGETS.smallSwiftMultipleMin} (${TARGETS.smallSwiftMultipleMin * swift.high} files/s)`,
        measured: `${run.ratioToSwift.toFixed(2)} (${(run.filesPerSecond / swift.low).toFixed(2)})`,
        met: run.ratioToSwift >= TARGETS.smallSwiftMultipleMin,
      },
      {
        scenario,
        what: 'upload → 201 p50',
        target: `< ${TARGETS.small201P50MaxMs} ms`,
        measured: `${run.uploadMs.p50.toFixed(1)} ms`,
        met: run.uploadMs.p50 < TARGETS.small201P50MaxMs,
      },
      {
        scenario,
        what: 'upload → 201 p99',
        target: `< ${TARGETS.small201P99MaxMs} ms`,
        measured: `${run.uploadMs.p99.toFixed(1)} ms`,
        met: run.uploadMs.p99 < TARGETS.small201P99MaxMs,
      },
      // "Whatever the file size": many small files in flight must fit the same memory budget.
      ...rssChecks(scenario, run.peakRssMiB),
    );
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
