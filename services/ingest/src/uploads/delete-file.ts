import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { EventLog } from '../events/event-log.ts';
import type { MainCopies } from '../main-copies/main-copies.ts';
import type { CommandPublisher } from '../replication/command-publisher.ts';
import { CLAIM_LEASE_MS } from '../replication/outbox-policy.ts';
import type { MetadataStore } from '../store/metadata-store.ts';

export interface DeleteFileDeps {
  metadata: MetadataStore;
  mainCopies: MainCopies;
  publisher: CommandPublisher;
  background: BackgroundWork;
  logger: Logger;
  events: EventLog;
}

/**
 * Deletes a file for every front end: gone from the metadata (durably) and the data directory
 * at once (the main copy's instance's, when another holds it: see MainCopies.remove), and from
 * every node through DeleteFile commands, which the outbox re-sends until each node confirms.
 * False when there is no such file.
 */
export async function deleteFile(deps: DeleteFileDeps, id: string): Promise<boolean> {
  const file = await deps.metadata.getFile(id);
  if (!file) return false;
  const nodes = await deps.metadata.markDeleting(id, Date.now() + CLAIM_LEASE_MS);
  if (!nodes) return false;
  await deps.mainCopies.remove(file);
  deps.logger.info({ fileId: id }, 'file deleted');
  await deps.events.record({ type: 'file.deleted', fileId: id, data: { nodes } });
  const commands = nodes.map((node) => ({
    kind: 'delete' as const,
    file,
    node,
    state: 'deleting' as const,
    attempts: 0,
  }));
  deps.background.run('publishing delete commands', () => deps.publisher.publish(commands), { fileId: id });
  return true;
}
