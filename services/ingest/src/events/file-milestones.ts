import type { FileStatuses } from '../cluster/file-statuses.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import type { EventLog } from './event-log.ts';

/**
 * The file events that no single message carries: `file.completed` when a file first has its
 * target of verified copies on nodes that are up, `file.degraded` when it falls below again
 * (a copy lost, a node down), `file.healed` when it is back. The store's flags make each
 * transition happen once, whichever instance sees it.
 */
export class FileMilestones {
  constructor(
    private readonly deps: {
      metadata: Pick<MetadataStore, 'markCompleted' | 'markDegraded'>;
      statuses: Pick<FileStatuses, 'get'>;
      log: EventLog;
      /** Observes upload-to-replica and upload-to-target times. */
      replicationSeconds?: { observe(labels: { kind: string }, seconds: number): void };
    },
  ) {}

  /** After a copy of the file was counted. */
  async afterStored(fileId: string): Promise<void> {
    const status = await this.deps.statuses.get(fileId);
    if (!status) return;
    const seconds = (Date.now() - Date.parse(status.createdAt)) / 1000;
    this.deps.replicationSeconds?.observe({ kind: 'replica' }, seconds);
    if (status.replicas < status.target) return;
    const completion = await this.deps.metadata.markCompleted(fileId);
    if (!completion) return;
    if (completion === 'completed') this.deps.replicationSeconds?.observe({ kind: 'target' }, seconds);
    await this.deps.log.record({
      type: completion === 'completed' ? 'file.completed' : 'file.healed',
      fileId,
      data: { replicas: status.replicas, target: status.target },
    });
  }

  /** After the file may have lost a counted copy. */
  async afterLoss(fileId: string): Promise<void> {
    const status = await this.deps.statuses.get(fileId);
    if (!status || status.replicas >= status.target) return;
    if (!(await this.deps.metadata.markDegraded(fileId))) return;
    await this.deps.log.record({
      type: 'file.degraded',
      fileId,
      data: { replicas: status.replicas, target: status.target },
    });
  }
}
