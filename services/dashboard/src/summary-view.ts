import { h } from './dom.ts';
import { humanAge } from './format.ts';
import type { Summary } from './types.ts';

function figure(label: string, value: string, key: string, bad = false): HTMLElement[] {
  return [h('dt', { text: label }), h('dd', { text: value, class: bad ? 'bad' : '', data: { figure: key } })];
}

/** The line of figures at the top: what an operator looks at first. */
export function renderSummary(list: HTMLElement, summary: Summary): void {
  const nodes = Object.entries(summary.nodes)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(' · ');
  list.replaceChildren(
    ...figure('Files', String(summary.files), 'files'),
    ...figure(
      'Under-replicated',
      String(summary.underReplicated),
      'under-replicated',
      summary.underReplicated > 0,
    ),
    ...figure(
      'Oldest pending',
      summary.oldestPendingSeconds > 0 ? humanAge(summary.oldestPendingSeconds) : 'none',
      'oldest-pending',
      summary.oldestPendingSeconds > 600,
    ),
    ...figure('Commands due', String(summary.outboxDue), 'outbox-due'),
    ...figure(
      'Dead letters',
      summary.deadLetters === null ? '-' : String(summary.deadLetters),
      'dead-letters',
      (summary.deadLetters ?? 0) > 0,
    ),
    ...figure('Nodes', nodes || 'none', 'nodes', (summary.nodes.down ?? 0) > 0),
  );
}
