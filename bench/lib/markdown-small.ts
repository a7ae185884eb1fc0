import type { CpuMs } from './cpu-per-file.ts';
import { f, row, rule, workerRss } from './markdown-table.ts';
import type { SmallResult, SmallRun } from './results.ts';
import { smallRunLabel } from './small-upload-run.ts';

/** The small-file part of the generated section: rates and latencies, then CPU per file. */
export function smallMarkdown(s: SmallResult): string[] {
  const swift = s.swiftFilesPerSecond;
  const out = [
    '',
    `### Small files (${s.fileBytes} B; ${s.files} files at ${s.concurrency} lanes, ${s.oneLaneFiles} at 1 lane; 1 worker per node)`,
    '',
    row([
      '',
      'files/s to UPLOAD_OK 3',
      '× baseline',
      `× Swift ${swift.high} (${swift.low})`,
      '201 p50 ms',
      '201 p99 ms',
      'UPLOAD_OK 3 p50 ms',
      'p99 ms',
      'peak RSS ingest / workers MiB',
    ]),
    rule(9),
    row([
      'baseline: 4 copies, write+fsync+rename',
      f(s.baseline.filesPerSecond, 1),
      '1.00',
      '',
      '',
      '',
      f(s.baseline.fileLatencyMs.p50, 1),
      f(s.baseline.fileLatencyMs.p99, 1),
      '',
    ]),
    ...s.runs.map((run) =>
      row([
        smallRunLabel(run),
        f(run.filesPerSecond, 1),
        f(run.ratioToBaseline, 2),
        `${f(run.ratioToSwift, 2)} (${f(run.filesPerSecond / swift.low, 2)})`,
        f(run.uploadMs.p50, 1),
        f(run.uploadMs.p99, 1),
        f(run.uploadToOk3Ms.p50, 1),
        f(run.uploadToOk3Ms.p99, 1),
        `${run.peakRssMiB.ingest ?? '?'} / ${workerRss(run.peakRssMiB)}`,
      ]),
    ),
    '',
    'Lanes wait for their file\'s UPLOAD_OK 3 before sending the next, except "pipelined" (next file',
    "after the 201; shown, not judged). The baseline's latency is a file's four copies.",
  ];
  const busy = s.runs.filter((run) => run.lanes > 1);
  if (busy.length > 0) out.push('', ...cpuMarkdown(busy));
  return out;
}

/** CPU ms per file at UPLOAD_OK 3 for each process, user / system, one column per run. */
function cpuMarkdown(runs: SmallRun[]): string[] {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run.cpuMsPerFile.processes)))];
  const cell = (c: CpuMs | undefined) => (c ? `${f(c.total, 2)} (${f(c.user, 2)} / ${f(c.system, 2)})` : '–');
  return [
    'CPU ms per file, total (user / system), from `/proc/<pid>/stat` over each run; RabbitMQ is',
    'shared, so its figure counts whatever else it served:',
    '',
    row(['process', ...runs.map(smallRunLabel)]),
    rule(runs.length + 1),
    ...names.map((name) => row([name, ...runs.map((run) => cell(run.cpuMsPerFile.processes[name]))])),
    row(['**all**', ...runs.map((run) => `**${cell(run.cpuMsPerFile.total)}**`)]),
    row(['all cores busy', ...runs.map((run) => `${run.machineCpuBusyPercent}%`)]),
  ];
}
