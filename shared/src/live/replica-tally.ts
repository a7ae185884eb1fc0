/** An event of a file's stream (`GET /files/<id>/events`), as any client parsed it. */
export interface FileStreamEvent {
  type: string;
  data: Record<string, unknown>;
}

interface ReceiptLike {
  node?: unknown;
  state?: unknown;
  sha256?: unknown;
  nodeDown?: unknown;
}

/**
 * The count of verified copies of one file, kept from its event stream: the `status` event
 * that opens the stream sets it, each `replica.stored` adds a node, `replica.lost`,
 * `replica.failed` and `replica.deleted` take one away. What the CLI's bar and the dashboard's
 * upload list show as `n/R`; no DOM and no Node here, so both use it.
 */
export class ReplicaTally {
  private readonly stored = new Set<string>();
  private sha256: string | undefined;
  target = 0;
  /** `file.completed` or `file.healed` came: the server counted the target itself. */
  completed = false;
  deleted = false;

  /** Applies one event; true when it changed what the tally shows. */
  apply(event: FileStreamEvent): boolean {
    const node = typeof event.data.node === 'string' ? event.data.node : undefined;
    const before = `${this.count}/${this.target}/${this.completed}/${this.deleted}`;
    switch (event.type) {
      case 'status':
        this.fromStatus(event.data);
        break;
      case 'replica.stored':
        if (node && (this.sha256 === undefined || event.data.sha256 === this.sha256)) this.stored.add(node);
        break;
      case 'replica.lost':
      case 'replica.failed':
      case 'replica.deleted':
        if (node) this.stored.delete(node);
        break;
      case 'file.completed':
      case 'file.healed':
        this.completed = true;
        if (typeof event.data.target === 'number') this.target = event.data.target;
        break;
      case 'file.deleted':
        this.deleted = true;
        break;
    }
    return before !== `${this.count}/${this.target}/${this.completed}/${this.deleted}`;
  }

  get count(): number {
    return this.stored.size;
  }

  /** The file has its target of copies (or the server said so): nothing more to wait for. */
  get whole(): boolean {
    return this.completed || (this.target > 0 && this.count >= this.target);
  }

  private fromStatus(status: Record<string, unknown>): void {
    this.sha256 = typeof status.sha256 === 'string' ? status.sha256 : undefined;
    if (typeof status.target === 'number') this.target = status.target;
    this.stored.clear();
    for (const receipt of Array.isArray(status.nodes) ? (status.nodes as ReceiptLike[]) : []) {
      if (receipt.state === 'stored' && receipt.sha256 === this.sha256 && !receipt.nodeDown)
        this.stored.add(String(receipt.node));
    }
  }
}
