import type { MetadataStore } from '../store/metadata-store.ts';
import { withNodeStates } from './file-statuses.ts';
import type { Membership } from './membership.ts';

/** Entries listed per kind of problem; the counts are always complete. */
const LISTED = 1_000;
const PAGE = 1_000;

export interface FsckFile {
  id: string;
  name: string;
  replicas: number;
  target: number;
}

export interface FsckReport {
  checkedAt: string;
  /** Files examined. */
  files: number;
  /** Files with fewer verified copies on nodes that are not down than they want. */
  underReplicated: { count: number; files: FsckFile[] };
  /** Files with no verified copy on any node that is up, and no main copy here. */
  missing: { count: number; files: FsckFile[] };
  /** Copies a node found damaged, or reported with another SHA-256, not yet replaced. */
  damaged: { count: number; copies: { id: string; node: string; reason: string }[] };
  /** Copies kept beyond the file's placement (displaced) on nodes that are up, waiting to be trimmed. */
  extra: { count: number; copies: { id: string; node: string }[] };
  nodesDown: string[];
  /** True when nothing above needs attention. */
  healthy: boolean;
}

export interface FsckDeps {
  metadata: MetadataStore;
  membership: Membership;
  /** True when this instance holds an intact main copy of the file. */
  hasMainCopy: (file: { id: string; sha256: string; size: number }) => Promise<boolean>;
}

/**
 * The whole cluster's health in one report, like `hdfs fsck`: every file's copies against its
 * target, with the nodes' states applied. Reads every file once, a page at a time.
 */
export async function fsck(deps: FsckDeps): Promise<FsckReport> {
  const down = await deps.membership.downNodes();
  const report: FsckReport = {
    checkedAt: new Date().toISOString(),
    files: 0,
    underReplicated: { count: 0, files: [] },
    missing: { count: 0, files: [] },
    damaged: { count: 0, copies: [] },
    extra: { count: 0, copies: [] },
    nodesDown: [...down].sort(),
    healthy: true,
  };
  let cursor: string | undefined;
  do {
    const page = await deps.metadata.listFiles(PAGE, cursor);
    for (const raw of page.files) {
      const status = withNodeStates(raw, down);
      const entry = { id: status.id, name: status.name, replicas: status.replicas, target: status.target };
      report.files += 1;
      if (status.replicas < status.target) add(report.underReplicated, 'files', entry);
      if (status.replicas === 0 && !(await deps.hasMainCopy(status))) add(report.missing, 'files', entry);
      for (const receipt of status.nodes) {
        if (receipt.state === 'pending' && receipt.reason) {
          add(report.damaged, 'copies', { id: status.id, node: receipt.node, reason: receipt.reason });
        }
        // Extras on a down node wait for it to return, or for it to be removed.
        if (receipt.displaced && receipt.state === 'stored' && !receipt.nodeDown) {
          add(report.extra, 'copies', { id: status.id, node: receipt.node });
        }
      }
    }
    cursor = page.next ?? undefined;
  } while (cursor);
  // A node down for good is reported, but its files healed elsewhere are healthy (as in HDFS).
  report.healthy =
    report.underReplicated.count + report.missing.count + report.damaged.count + report.extra.count === 0;
  return report;
}

function add<K extends 'files' | 'copies', T>(
  bucket: { count: number } & Record<K, T[]>,
  key: K,
  entry: T,
): void {
  bucket.count += 1;
  if (bucket[key].length < LISTED) bucket[key].push(entry);
}
