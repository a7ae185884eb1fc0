import { h } from './dom.ts';
import { CELL_LABELS, type CellState, cellState, humanBytes } from './format.ts';
import type { FileStatus, Receipt } from './types.ts';

const SYMBOLS: Record<CellState, string> = {
  stored: '●',
  pending: '◌',
  healing: '◐',
  missing: '?',
  failed: '✕',
  down: '▽',
  deleting: '–',
  none: '',
};

function cell(file: FileStatus, node: string, receipt: Receipt | undefined): HTMLElement {
  const state = cellState(receipt, file.sha256);
  const detail = receipt?.storedAt ?? receipt?.reason ?? '';
  const marks = receipt?.displaced ? ' · displaced: deleted once others are verified' : '';
  return h('td', {
    class: `cell ${state}${receipt?.displaced ? ' displaced' : ''}`,
    text: SYMBOLS[state],
    title: `${node}: ${CELL_LABELS[state]}${marks}${detail ? ` · ${detail}` : ''}`,
    data: { node, state },
  });
}

/** The legend under the heading: every symbol a cell can show. */
export function renderLegend(target: HTMLElement): void {
  target.replaceChildren(
    ...(Object.keys(CELL_LABELS) as CellState[])
      .filter((state) => state !== 'none')
      .map((state) => h('span', { class: `cell ${state}`, text: `${SYMBOLS[state]} ${CELL_LABELS[state]}` })),
  );
}

/** One row per file, newest first, with one cell per node. */
export function renderFiles(table: HTMLTableElement, files: FileStatus[], columns: string[]): void {
  table.tHead?.replaceChildren(
    h(
      'tr',
      {},
      h('th', { text: 'File' }),
      h('th', { text: 'Size' }),
      h('th', { text: 'Replicas' }),
      ...columns.map((node) => h('th', { text: node, class: 'node-col' })),
    ),
  );
  table.tBodies[0]?.replaceChildren(
    ...files.map((file) => {
      const receipts = new Map(file.nodes.map((r) => [r.node, r]));
      return h(
        'tr',
        { data: { file: file.id } },
        h('th', { text: file.name, title: `${file.id}\nsha256 ${file.sha256}` }),
        h('td', { text: humanBytes(file.size) }),
        h('td', {
          text: `${file.replicas}/${file.target}`,
          class: file.replicas < file.target ? 'bad' : 'good',
          data: { replicas: String(file.replicas) },
        }),
        ...columns.map((node) => cell(file, node, receipts.get(node))),
      );
    }),
  );
}
