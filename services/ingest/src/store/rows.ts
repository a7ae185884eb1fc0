import type { FileRecord, FileStatus, ReplicaReceipt, ReplicaState } from './metadata-store.ts';

/** A `files` row as every engine reads it (numbers already numbers). */
export interface FileRow {
  seq: number;
  id: string;
  name: string;
  size: number;
  sha256: string;
  created_at: string;
  content_type: string | null;
  origin: string | null;
  target: number;
}

/** A `replicas` row as every engine reads it. */
export interface ReplicaRow {
  file_id: string;
  node: string;
  state: ReplicaState;
  sha256: string | null;
  size: number | null;
  stored_at: string | null;
  reason: string | null;
  /** 0 or 1 (SQLite) or a boolean (PostgreSQL). */
  healing: number | boolean;
  displaced: number | boolean;
}

export function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    sha256: row.sha256,
    createdAt: row.created_at,
    ...(row.content_type !== null ? { contentType: row.content_type } : {}),
    ...(row.origin !== null ? { origin: row.origin } : {}),
  };
}

export function toReceipt(row: ReplicaRow): ReplicaReceipt {
  const receipt: ReplicaReceipt = { node: row.node, state: row.state };
  if (row.state === 'stored') {
    if (row.sha256 !== null) receipt.sha256 = row.sha256;
    if (row.size !== null) receipt.size = row.size;
    if (row.stored_at !== null) receipt.storedAt = row.stored_at;
  }
  if (row.reason !== null) receipt.reason = row.reason;
  if (row.healing) receipt.healing = true;
  if (row.displaced) receipt.displaced = true;
  return receipt;
}

/** A file with its replica rows (ordered by node) as a status. */
export function toStatus(row: FileRow, replicas: readonly ReplicaRow[]): FileStatus {
  const nodes = replicas.map(toReceipt);
  return {
    ...toFileRecord(row),
    replicas: nodes.filter((n) => n.state === 'stored' && n.sha256 === row.sha256).length,
    target: row.target,
    nodes,
  };
}

/** Groups replica rows by file id, keeping their order. */
export function byFile(replicas: readonly ReplicaRow[]): Map<string, ReplicaRow[]> {
  const grouped = new Map<string, ReplicaRow[]>();
  for (const replica of replicas) {
    const list = grouped.get(replica.file_id) ?? [];
    list.push(replica);
    grouped.set(replica.file_id, list);
  }
  return grouped;
}
