import { h } from './dom.ts';
import { humanBytes } from './format.ts';
import type { NodeView, Summary } from './types.ts';

/** What a node's button asks for: a drain, or its cancelling. */
export type DrainAction = (node: string, cancel: boolean) => void;

/** `1 consumer`, `2 consumers`. */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function space(node: NodeView): HTMLElement {
  const cell = h('td', { text: `${humanBytes(node.freeBytes)} of ${humanBytes(node.totalBytes)}` });
  if (node.freeBytes !== null && node.totalBytes) {
    const meter = h('meter');
    meter.min = 0;
    meter.max = node.totalBytes;
    meter.value = node.totalBytes - node.freeBytes;
    meter.high = node.totalBytes * 0.9;
    cell.append(meter);
  }
  return cell;
}

function drainCell(node: NodeView, onDrain: DrainAction): HTMLElement {
  const cell = h('td', { class: 'actions' });
  if (node.drain) {
    const moved = node.drain.total - node.drain.remaining;
    const progress = h('progress', { title: `${moved} of ${node.drain.total} replicas moved` });
    progress.max = Math.max(1, node.drain.total);
    progress.value = moved;
    cell.append(progress, ` ${moved}/${node.drain.total} `);
  }
  const draining = node.state === 'draining' || node.state === 'drained';
  if (node.state === 'down' && !draining) return cell;
  const button = h('button', { text: draining ? 'Cancel drain' : 'Drain', data: { drain: node.id } });
  button.type = 'button';
  button.addEventListener('click', () => onDrain(node.id, draining));
  cell.append(button);
  return cell;
}

/**
 * One row per node: state, zone, free space, replicas held (and healing on their way), the
 * node queue's backlog and consumers (from the broker), the workers heard by heartbeat, and the
 * drain: its progress and the button that starts or cancels it.
 */
export function renderNodes(
  body: HTMLElement,
  nodes: NodeView[],
  queues: Summary['queues'],
  onDrain: DrainAction,
) {
  body.replaceChildren(
    ...nodes.map((node) => {
      const queue = queues[node.id];
      return h(
        'tr',
        { data: { node: node.id, state: node.state } },
        h('th', { text: node.id, title: node.url ?? '' }),
        h('td', {}, h('span', { class: `badge ${node.state}`, text: node.state })),
        h('td', { text: node.zone ?? '-' }),
        space(node),
        h('td', { text: node.healing ? `${node.files} (+${node.healing} healing)` : String(node.files) }),
        h('td', {
          text: queue ? `${queue.messages} waiting · ${plural(queue.consumers, 'consumer')}` : '-',
          class: (queue?.messages ?? 0) > 0 ? 'busy' : '',
          data: { queue: node.id },
        }),
        h('td', { text: String(node.workers) }),
        drainCell(node, onDrain),
      );
    }),
  );
}
