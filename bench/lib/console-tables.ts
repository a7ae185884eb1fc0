import type { LatencySummary } from './percentiles.ts';
import type { BenchResults, UsageTables } from './results.ts';

/** The run's numbers as console tables. */
export function printTables(r: BenchResults): void {
  console.log('\nTargets');
  console.table(r.targets.map((t) => ({ ...t, met: t.met ? 'yes' : 'NO' })));
  if (r.large) {
    console.log(`Large file (${r.large.sizeMiB} MiB); baseline ${r.large.baseline.seconds.toFixed(2)} s`);
    console.table(
      r.large.runs.map((run) => ({
        mode: run.mode,
        's to 201': run.secondsTo201.toFixed(2),
        's to UPLOAD_OK 3': run.secondsToUploadOk3.toFixed(2),
        'MiB/s': run.mibPerSecond.toFixed(0),
        '× baseline': run.ratioToBaseline.toFixed(2),
      })),
    );
    for (const run of r.large.runs) usageTable(`large ${run.mode}`, run);
  }
  if (r.small) {
    const s = r.small;
    console.log(`Small files: ${s.files} × ${s.fileBytes} B, concurrency ${s.concurrency}`);
    console.table({
      baseline: latencyRow(s.baseline.filesPerSecond, s.baseline.fileLatencyMs),
      'upload → 201': latencyRow(undefined, s.service.uploadMs),
      'upload → UPLOAD_OK 3': latencyRow(s.service.filesPerSecond, s.service.uploadToOk3Ms),
    });
    usageTable('small', s.service);
  }
  if (r.metadata) {
    console.log('Metadata scale (ms)');
    console.table(
      Object.fromEntries(
        [r.metadata.baseline, r.metadata.scaled].map((s) => [
          `${s.files} files`,
          {
            'start-up median': s.startupMedianMs.toFixed(0),
            'status p50': s.statusMs.p50.toFixed(2),
            'status p99': s.statusMs.p99.toFixed(2),
            'page p50': s.pageMs.p50.toFixed(2),
            'page p99': s.pageMs.p99.toFixed(2),
          },
        ]),
      ),
    );
  }
  if (r.scaleout) {
    console.log('Scale-out');
    console.table(
      r.scaleout.runs.map((run) => ({
        'workers per node': run.workersPerNode,
        'files/s': run.filesPerSecond.toFixed(1),
        '× 1 worker': run.ratioToOneWorker.toFixed(2),
        'OK3 p50 ms': run.uploadToOk3Ms.p50.toFixed(1),
        'OK3 p99 ms': run.uploadToOk3Ms.p99.toFixed(1),
        'machine CPU busy %': run.machineCpuBusyPercent,
      })),
    );
  }
  ingestsTable(r);
}

function ingestsTable(r: BenchResults): void {
  if (!r.ingests) return;
  console.log('Ingest instances');
  console.table(
    r.ingests.runs.map((run) => ({
      setup: run.label,
      'files/s': run.filesPerSecond.toFixed(1),
      '× first': run.ratioToFirst.toFixed(2),
      '201 p50 ms': run.uploadMs.p50.toFixed(1),
      'OK3 p50 ms': run.uploadToOk3Ms.p50.toFixed(1),
      'OK3 p99 ms': run.uploadToOk3Ms.p99.toFixed(1),
      'machine CPU busy %': run.machineCpuBusyPercent,
    })),
  );
  for (const run of r.ingests.runs) usageTable(run.label, run);
}

function latencyRow(filesPerSecond: number | undefined, l: LatencySummary) {
  return {
    'files/s': filesPerSecond === undefined ? '' : filesPerSecond.toFixed(1),
    p50: l.p50.toFixed(1),
    p95: l.p95.toFixed(1),
    p99: l.p99.toFixed(1),
  };
}

function usageTable(title: string, usage: UsageTables): void {
  console.log(`${title}: peak RSS and CPU per process (machine CPU busy ${usage.machineCpuBusyPercent}%)`);
  console.table(
    Object.fromEntries(
      Object.entries(usage.cpuSeconds).map(([name, cpu]) => [
        name,
        { 'peak RSS MiB': usage.peakRssMiB[name] ?? '', 'CPU user s': cpu.user, 'CPU sys s': cpu.system },
      ]),
    ),
  );
}
