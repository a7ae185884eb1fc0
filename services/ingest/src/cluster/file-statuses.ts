import type { FilePage, FileStatus, MetadataStore } from '../store/metadata-store.ts';
import type { Membership } from './membership.ts';

/**
 * A status as the cluster sees it: `replicas` counts the verified copies on nodes that are not
 * down (API.md: `UPLOAD_OK <n>`), and each receipt on a down node says so.
 */
export function withNodeStates(status: FileStatus, down: ReadonlySet<string>): FileStatus {
  const nodes = status.nodes.map((receipt) =>
    down.has(receipt.node) ? { ...receipt, nodeDown: true as const } : receipt,
  );
  const replicas = nodes.filter(
    (n) => n.state === 'stored' && n.sha256 === status.sha256 && !n.nodeDown,
  ).length;
  return { ...status, nodes, replicas };
}

/** Reads file statuses from the metadata with the membership's view of the nodes applied. */
export class FileStatuses {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly membership: Membership,
  ) {}

  async get(id: string): Promise<FileStatus | undefined> {
    const [status, down] = await Promise.all([this.metadata.getFile(id), this.membership.downNodes()]);
    return status && withNodeStates(status, down);
  }

  async list(limit: number, cursor?: string): Promise<FilePage> {
    const [page, down] = await Promise.all([
      this.metadata.listFiles(limit, cursor),
      this.membership.downNodes(),
    ]);
    return { ...page, files: page.files.map((status) => withNodeStates(status, down)) };
  }
}
