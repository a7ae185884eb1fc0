import { setTimeout as sleep } from 'node:timers/promises';
import { humanBytes } from '../../../shared/src/human-bytes.ts';
import { type ApiClient, CliError, type FsckReport, type NodeList } from './api-client.ts';
import { type Output, paintState } from './output.ts';

function nodeLine(out: Output, node: NodeList[number]): string {
  const space = `${humanBytes(node.freeBytes)} free of ${humanBytes(node.totalBytes)}`;
  const drain = node.drain ? `  drain ${node.drain.total - node.drain.remaining}/${node.drain.total}` : '';
  const healing = node.healing ? `  healing ${node.healing}` : '';
  return [
    node.id.padEnd(10),
    paintState(
      out.colors,
      node.state ?? (node.healthy ? 'up' : 'down'),
      (node.state ?? (node.healthy ? 'up' : 'down')).padEnd(9),
    ),
    (node.zone ?? '-').padEnd(8),
    space.padEnd(26),
    `${node.files ?? 0} files`.padEnd(12),
    `${node.workers ?? 0} workers`.padEnd(10),
    `${node.url ?? '-'}${healing}${drain}`,
  ].join(' ');
}

/** `dfr nodes`: state, zone, free space, files held, workers, URL and drain progress; `--json`: the list. */
export async function nodes(api: ApiClient, out: Output): Promise<void> {
  const list = await api.nodes();
  out.result(list, () => {
    out.line(
      [
        'NODE'.padEnd(10),
        'STATE'.padEnd(9),
        'ZONE'.padEnd(8),
        'SPACE'.padEnd(26),
        'FILES'.padEnd(12),
        'WORKERS'.padEnd(10),
        'URL',
      ].join(' '),
    );
    for (const node of list) out.line(nodeLine(out, node));
  });
}

/** `dfr drain <node> [--cancel]`; `--json`: the node as the server now shows it. */
export async function drain(api: ApiClient, out: Output, node: string, cancel: boolean): Promise<void> {
  const view = await api.drain(node, cancel);
  out.result(view, () =>
    out.line(
      cancel
        ? `Drain of ${node} cancelled`
        : `Draining ${node}: ${view.drain?.remaining ?? 0} replica(s) to move`,
    ),
  );
}

/** `dfr nodes rm <node>`. */
export async function removeNode(api: ApiClient, out: Output, node: string): Promise<void> {
  await api.removeNode(node);
  out.result({ removed: node }, () => out.line(`Removed ${node}`));
}

function printReport(report: FsckReport, out: Output): void {
  const print = (line: string) => out.line(line);
  print(`${report.files} files checked at ${report.checkedAt}`);
  print(`  under-replicated: ${report.underReplicated.count}`);
  for (const f of report.underReplicated.files ?? [])
    print(`    ${f.id}  ${f.replicas}/${f.target}  ${f.name}`);
  print(`  missing:          ${report.missing.count}`);
  for (const f of report.missing.files ?? []) print(`    ${f.id}  ${f.name}`);
  print(`  damaged copies:   ${report.damaged.count}`);
  for (const c of report.damaged.copies ?? []) print(`    ${c.id}  on ${c.node}: ${c.reason}`);
  print(`  extra copies:     ${report.extra.count}`);
  for (const c of report.extra.copies ?? []) print(`    ${c.id}  on ${c.node}`);
  print(`  nodes down:       ${report.nodesDown.length > 0 ? report.nodesDown.join(', ') : 'none'}`);
  print(report.healthy ? out.colors.green('Status: HEALTHY') : out.colors.red('Status: NOT HEALTHY'));
}

/**
 * `dfr fsck [--repair] [--json]`: the cluster report. With `--repair` it starts every repair and
 * waits (up to timeoutMs) for the copies to land. Exits 1 when something is wrong and stays so.
 */
export async function fsck(
  api: ApiClient,
  out: Output,
  options: { repair: boolean; timeoutMs: number },
): Promise<void> {
  let report = await api.fsck(options.repair);
  const deadline = Date.now() + options.timeoutMs;
  while (options.repair && !report.healthy && Date.now() < deadline) {
    await sleep(1_000);
    report = await api.fsck(false);
  }
  out.result(report, () => printReport(report, out));
  if (!report.healthy)
    throw new CliError(options.repair ? 'problems remain after repairing' : 'problems found');
}
