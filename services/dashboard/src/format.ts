export { humanBytes } from '../../../shared/src/human-bytes.ts';

import type { FileStatus, Receipt } from './types.ts';

/** What one cell of the files table shows for a file on a node. */
export type CellState =
  | 'stored'
  | 'pending'
  | 'healing'
  | 'missing'
  | 'failed'
  | 'down'
  | 'deleting'
  | 'none';

/** The legend, in the order it is shown. */
export const CELL_LABELS: Record<CellState, string> = {
  stored: 'stored (verified)',
  pending: 'pending',
  healing: 'healing (a copy made to restore the count)',
  missing: 'missing (the node lost its copy; sent again)',
  failed: 'failed',
  down: 'on a down node (not counted)',
  deleting: 'deleting',
  none: 'not placed here',
};

/**
 * A receipt as a cell: a down node's copy does not count whatever its state; a stored copy counts
 * only with the file's SHA-256; a pending row with a reason is a copy the node reported lost (or
 * a scrub removed), being sent again.
 */
export function cellState(receipt: Receipt | undefined, sha256: string): CellState {
  if (!receipt) return 'none';
  if (receipt.nodeDown) return 'down';
  switch (receipt.state) {
    case 'stored':
      return receipt.sha256 === sha256 ? 'stored' : 'failed';
    case 'pending':
      if (receipt.healing) return 'healing';
      return receipt.reason ? 'missing' : 'pending';
    case 'failed':
      return 'failed';
    case 'deleting':
      return 'deleting';
    default:
      return 'pending';
  }
}

/** A duration as its largest unit or two: `42 s`, `3 min 5 s`, `2 h 10 min`. */
export function humanAge(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** The nodes to give a column: those listed first, then any a receipt names that the list lacks. */
export function columnsFor(nodes: readonly string[], files: readonly Pick<FileStatus, 'nodes'>[]): string[] {
  const columns = [...nodes];
  for (const file of files) for (const r of file.nodes) if (!columns.includes(r.node)) columns.push(r.node);
  return columns;
}
