import type { CpuMs } from './cpu-per-file.ts';
import type { BenchResults, SmallResult, SmallRun, UsageTables } from './results.ts';
import { smallRunLabel } from './small-upload-run.ts';

/** The run's numbers as console tables. */
export function printTables(r: BenchResults): void {
  console.log('\nTargets');
  console.table(r.targets.map((t) => ({ ...t, met: t.met ? 'yes' : 'NO' })));
  if (r.large) {
    console.log(`Large file (${r.large.sizeMiB} MiB); baseline ${r.large.baseline.seconds.toFixed(2)} s`);
    console.table(
      r.large.runs.map((run) => ({
        client: run.client,
        's to 201': run.secondsTo201.toFixed(2),
        's to UPLOAD_OK 3': run.secondsToUploadOk3.toFixed(2),
        'MiB/s': run.mibPerSecond.toFixed(0),
        '× baseline': run.ratioToBaseline.toFixed(2),
      })),
    );
    for (const run of r.large.runs) usageTable(`large ${run.mode}`, run);
  }
  if (r.small) smallTables(r.small);
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

function smallTables(s: SmallResult): void {
  console.log(
    `Small files: ${s.fileBytes} B, ${s.files} files at ${s.concurrency} lanes, ${s.oneLaneFiles} at 1 lane; ` +
      `baseline ${s.baseline.filesPerSecond.toFixed(1)} files/s (4 fsynced copies per file)`,
  );
  console.table(
    Object.fromEntries(
      s.runs.map((run) => [
        smallRunLabel(run),
        {
          'files/s': run.filesPerSecond.toFixed(1),
          '× baseline': run.ratioToBaseline.toFixed(2),
          [`× Swift ${s.swiftFilesPerSecond.high}`]: run.ratioToSwift.toFixed(2),
          [`× Swift ${s.swiftFilesPerSecond.low}`]: (run.filesPerSecond / s.swiftFilesPerSecond.low).toFixed(
            2,
          ),
          '201 p50': run.uploadMs.p50.toFixed(1),
          '201 p99': run.uploadMs.p99.toFixed(1),
          'OK3 p50': run.uploadToOk3Ms.p50.toFixed(1),
          'OK3 p99': run.uploadToOk3Ms.p99.toFixed(1),
        },
      ]),
    ),
  );
  for (const run of s.runs.filter((x) => x.lanes > 1)) cpuPerFileTable(smallRunLabel(run), run);
}

/** CPU ms per file by process, user (own code) and system (the kernel on its behalf). */
function cpuPerFileTable(title: string, run: SmallRun): void {
  console.log(`${title}: CPU ms per file (machine CPU busy ${run.machineCpuBusyPercent}%)`);
  const row = (c: CpuMs, rss?: number) => ({
    user: c.user.toFixed(2),
    system: c.system.toFixed(2),
    total: c.total.toFixed(2),
    'peak RSS MiB': rss ?? '',
  });
  console.table({
    ...Object.fromEntries(
      Object.entries(run.cpuMsPerFile.processes).map(([name, c]) => [name, row(c, run.peakRssMiB[name])]),
    ),
    'all processes': row(run.cpuMsPerFile.total),
  });
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
