import type { StoredOutcome, StoredReport } from '../metadata-store.ts';
import type { Queryable } from './pg-database.ts';

/**
 * recordStored's work inside its transaction: the outcome of each report (as if each were
 * recorded alone, in order) and the rows updated with one statement. Returns the outcomes and
 * the ids of the files whose rows changed.
 */
export async function settleReports(
  client: Queryable,
  reports: readonly StoredReport[],
): Promise<{ outcomes: StoredOutcome[]; settled: string[] }> {
  // The rows a report may settle, locked, with the file each must match.
  const { rows } = await client.query<{
    file_id: string;
    node: string;
    sha256: string;
    size: number;
    row_state: string;
    row_sha256: string | null;
  }>(
    `SELECT r.file_id, r.node, f.sha256, f.size, r.state AS row_state, r.sha256 AS row_sha256
     FROM unnest($1::text[], $2::text[]) AS q(file_id, node)
     JOIN replicas r ON r.file_id = q.file_id AND r.node = q.node AND r.state IN ('pending', 'failed', 'stored')
     JOIN files f ON f.id = r.file_id AND f.deleted_at IS NULL
     ORDER BY r.file_id, r.node
     FOR UPDATE OF r`,
    [reports.map((r) => r.fileId), reports.map((r) => r.node)],
  );
  const tracked = new Map(rows.map((row) => [`${row.file_id} ${row.node}`, row]));
  const outcomes = reports.map((report): StoredOutcome => {
    const file = tracked.get(`${report.fileId} ${report.node}`);
    if (!file) return 'ignored';
    if (report.sha256 !== file.sha256 || report.size !== file.size) return 'mismatch';
    return file.row_state === 'stored' && file.row_sha256 === report.sha256 ? 'unchanged' : 'stored';
  });
  // One call per report in order leaves each row as its last report says.
  const last = new Map<string, { report: StoredReport; matches: boolean }>();
  for (const [i, report] of reports.entries()) {
    const outcome = outcomes[i];
    if (outcome === 'ignored') continue;
    last.set(`${report.fileId} ${report.node}`, { report, matches: outcome !== 'mismatch' });
  }
  const settled = [...last.values()];
  if (settled.length > 0) {
    await client.query(
      `UPDATE replicas r SET
         state = CASE WHEN q.matches THEN 'stored' ELSE 'pending' END,
         sha256 = q.sha256,
         size = q.size,
         stored_at = CASE WHEN q.matches THEN q.stored_at ELSE r.stored_at END,
         reason = CASE WHEN q.matches THEN NULL ELSE 'reported SHA-256 differs from the file' END,
         due_at = CASE WHEN q.matches THEN r.due_at ELSE 0 END,
         attempts = CASE WHEN q.matches THEN r.attempts ELSE 0 END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::boolean[])
         AS q(file_id, node, sha256, size, stored_at, matches)
       WHERE r.file_id = q.file_id AND r.node = q.node`,
      [
        settled.map((s) => s.report.fileId),
        settled.map((s) => s.report.node),
        settled.map((s) => s.report.sha256),
        settled.map((s) => s.report.size),
        settled.map((s) => s.report.storedAt),
        settled.map((s) => s.matches),
      ],
    );
  }
  return { outcomes, settled: settled.map((s) => s.report.fileId) };
}
