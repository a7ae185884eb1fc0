import type { Logger } from '../../../../shared/src/logger.ts';
import type { NodeInventory } from '../../../../shared/src/messages/index.ts';
import type { EventLog } from '../events/event-log.ts';
import type { FileMilestones } from '../events/file-milestones.ts';
import type { CommandPublisher } from '../replication/command-publisher.ts';
import type { MetadataStore } from '../store/metadata-store.ts';

/**
 * A copy stored this close before the node began listing may not be in the listing yet: its
 * receipt's time is taken just before the receipt is written, which makes the copy visible.
 */
const LISTING_SLACK_MS = 1_000;

export interface InventoryOutcome {
  /** Replicas the node should hold but does not: owed again. */
  lost: number;
  /** Copies it holds that no replica row wants: deleted. */
  strays: number;
  /** Pending replicas the node turned out to hold already: counted. */
  found: number;
}

/**
 * Anti-entropy: compares one part of a node's inventory with the metadata's rows for that node
 * and id range. A stored replica missing from the inventory (removed by hand, lost with a disk)
 * or held with another SHA-256 is lost, so the outbox sends it again; a copy no row wants (its
 * file deleted meanwhile, or displaced and trimmed) is deleted from the node; a pending replica
 * the node already holds is counted. So a node's store and the metadata converge without waiting
 * for a scrub or a download to stumble on the difference.
 */
export async function checkInventory(
  inventory: NodeInventory,
  deps: {
    metadata: MetadataStore;
    publisher: CommandPublisher;
    logger: Logger;
    events: EventLog;
    milestones: FileMilestones;
  },
): Promise<InventoryOutcome> {
  const { metadata, publisher, logger, events, milestones } = deps;
  const { node } = inventory;
  const takenAtMs = Date.parse(inventory.takenAt);
  const held = new Map(inventory.files.map((entry) => [entry.fileId, entry]));
  const rows = await metadata.replicasOn(node, inventory.fromId, inventory.untilId);
  const outcome: InventoryOutcome = { lost: 0, strays: 0, found: 0 };
  for (const row of rows) {
    const copy = held.get(row.fileId);
    held.delete(row.fileId);
    if (row.state === 'stored') {
      const storedBeforeListing =
        row.storedAt === null || Date.parse(row.storedAt) < takenAtMs - LISTING_SLACK_MS;
      const reason = !copy
        ? storedBeforeListing && 'missing from the node inventory'
        : copy.sha256 !== row.sha256 && 'the node inventory shows another SHA-256';
      if (reason && (await metadata.recordLost(row.fileId, node, reason))) {
        outcome.lost += 1;
        await events.record({ type: 'replica.lost', fileId: row.fileId, node, data: { reason } });
        await milestones.afterLoss(row.fileId);
      }
    } else if (copy && (row.state === 'pending' || row.state === 'failed')) {
      const storedAt = inventory.takenAt;
      const [result] = await metadata.recordStored([
        { fileId: row.fileId, node, sha256: copy.sha256, size: copy.size, storedAt },
      ]);
      if (result === 'stored') {
        outcome.found += 1;
        await events.record({
          type: 'replica.stored',
          fileId: row.fileId,
          node,
          data: { sha256: copy.sha256, size: copy.size, storedAt },
        });
        await milestones.afterStored(row.fileId);
      }
    }
  }
  // What is left is held by the node without a row for it.
  for (const fileId of held.keys()) {
    await publisher.dropStrayCopy(fileId, node);
    outcome.strays += 1;
  }
  if (outcome.lost + outcome.strays + outcome.found > 0) {
    logger.warn({ node, ...outcome }, 'node inventory differs from the metadata; reconciling');
  }
  return outcome;
}
