import type { Delivery, Disposition } from '../../../../shared/src/broker/broker.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import { ClusterEvent, parseMessage } from '../../../../shared/src/messages/index.ts';
import { checkInventory } from '../cluster/inventory-check.ts';
import type { EventLog } from '../events/event-log.ts';
import type { FileMilestones } from '../events/file-milestones.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { MetadataStore, StoredOutcome, StoredReport } from '../store/metadata-store.ts';
import type { CommandPublisher } from './command-publisher.ts';
import { type OutboxPolicy, retryFailedAt } from './outbox-policy.ts';

export interface EventHandlerDeps {
  metadata: MetadataStore;
  nodes: MembershipStore;
  publisher: CommandPublisher;
  policy: OutboxPolicy;
  logger: Logger;
  log: EventLog;
  milestones: FileMilestones;
  /** Told when a heartbeat comes from a node this process had not heard from yet. */
  onNodeHeard: (node: string) => void;
}

type EventOf<T extends ClusterEvent['type']> = Extract<ClusterEvent, { type: T }>;
type Handlers = { [T in ClusterEvent['type']]: (event: EventOf<T>, log: Logger) => Promise<void> };

/**
 * Ingest's consumer of the events queue: each event parsed, then turned into metadata by the
 * handler of its type. A body that does not parse is dead-lettered; a handler that throws
 * leaves the event to be delivered again (every handler is idempotent).
 */
export function eventConsumer(deps: EventHandlerDeps): (delivery: Delivery) => Promise<Disposition> {
  const handlers = eventHandlers(deps);
  return async (delivery) => {
    const parsed = parseMessage(ClusterEvent, delivery.body);
    if (!parsed.ok) {
      deps.logger.error(
        { messageId: delivery.messageId, error: parsed.error },
        'invalid event; dead-lettering',
      );
      return 'reject';
    }
    const event = parsed.value;
    const handle = handlers[event.type] as (event: ClusterEvent, log: Logger) => Promise<void>;
    await handle(event, deps.logger.child({ messageId: delivery.messageId }));
    return 'ack';
  };
}

function eventHandlers(deps: EventHandlerDeps): Handlers {
  const { metadata, nodes, publisher, policy, log: events, milestones } = deps;
  const heard = new Set<string>();

  /** A copy counted or refused; one that no replica row wants must be dropped. */
  const afterStored = async (report: StoredReport, outcome: StoredOutcome, log: Logger) => {
    const { fileId, node } = report;
    if (outcome === 'stored') {
      await events.record({
        type: 'replica.stored',
        fileId,
        node,
        data: { sha256: report.sha256, size: report.size, storedAt: report.storedAt },
      });
      await milestones.afterStored(fileId);
    }
    if (outcome === 'mismatch') {
      log.warn({ fileId, node }, 'node reported a different SHA-256; not counted');
      await events.record({
        type: 'replica.lost',
        fileId,
        node,
        data: { reason: 'reported SHA-256 differs' },
      });
      await milestones.afterLoss(fileId);
    }
    if (outcome !== 'ignored') return;
    // A copy finished after its file was deleted, or after its replica was placed elsewhere.
    log.info({ fileId: report.fileId, node: report.node }, 'node holds a copy nothing wants; deleting it');
    await publisher.dropStrayCopy(report.fileId, report.node);
  };

  return {
    async ReplicaStored(event, log) {
      const [outcome = 'ignored'] = await metadata.recordStored([event]);
      await afterStored(event, outcome, log);
    },
    async ReplicasStored(event, log) {
      const reports = event.replicas.map((replica) => ({ ...replica, node: event.node }));
      const outcomes = await metadata.recordStored(reports);
      for (const [i, report] of reports.entries()) await afterStored(report, outcomes[i] ?? 'ignored', log);
    },
    async ReplicaFailed(event, log) {
      const { fileId, node, reason } = event;
      if (await metadata.recordFailed(fileId, node, reason, retryFailedAt(policy, Date.now()))) {
        log.warn({ fileId, node, reason }, 'replica failed');
        await events.record({ type: 'replica.failed', fileId, node, data: { reason } });
      }
    },
    async ReplicaLost(event, log) {
      const { fileId, node, reason } = event;
      if (!(await metadata.recordLost(fileId, node, reason))) return;
      log.warn({ fileId, node, reason }, 'replica lost; sending it again');
      await events.record({ type: 'replica.lost', fileId, node, data: { reason } });
      await milestones.afterLoss(fileId);
      const file = await metadata.getFile(fileId);
      if (file) await publisher.publish([{ kind: 'replicate', file, node, state: 'pending', attempts: 0 }]);
    },
    async ReplicaDeleted(event) {
      if (await metadata.recordDeleted(event.fileId, event.node)) {
        await events.record({ type: 'replica.deleted', fileId: event.fileId, node: event.node });
      }
    },
    async NodeHeartbeat(event) {
      await nodes.recordHeartbeat({
        node: event.node,
        workerId: event.workerId,
        url: event.url,
        zone: event.zone,
        freeBytes: event.freeBytes,
        totalBytes: event.totalBytes,
        atMs: Date.now(),
      });
      if (!heard.has(event.node)) {
        heard.add(event.node);
        deps.onNodeHeard(event.node);
      }
    },
    async NodeInventory(event, log) {
      await checkInventory(event, { metadata, publisher, logger: log, events, milestones });
    },
  };
}
