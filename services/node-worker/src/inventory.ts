import type { Broker } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import type { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { encodeMessage, type NodeInventory } from '../../../shared/src/messages/index.ts';
import { FIRST_FILE_ID, MAX_INVENTORY_ENTRIES } from '../../../shared/src/messages/node-inventory.ts';
import type { BackgroundWork } from '../../../shared/src/process/background-work.ts';

type Entry = NodeInventory['files'][number];

/** An inventory that could not be sent is tried again this much later. */
const RETRY_MS = 30_000;

/**
 * Tells ingest what this node's store holds, on start, every interval and on demand, as
 * NodeInventory parts of up to MAX_INVENTORY_ENTRIES copies, each for a range of ids, so ingest
 * can compare its records with the store (anti-entropy). The store is listed in id order, so
 * the parts cover every id without gaps and each can be compared on its own.
 */
export class Inventory {
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly deps: {
      nodeId: string;
      store: BlobStore;
      broker: Broker;
      names: TopologyNames;
      background: BackgroundWork;
      logger: Logger;
    },
  ) {}

  /**
   * Sends one inventory now (in the background) and then every intervalMs (0: only on demand);
   * one that could not be sent (no ingest listening yet, the broker away) is tried again soon.
   */
  start(intervalMs: number): void {
    const send = () =>
      this.deps.background.run('sending the inventory', async () => {
        clearTimeout(this.retry);
        try {
          await this.sendOnce();
        } catch (err) {
          this.deps.logger.warn({ err }, 'could not send the inventory; trying again soon');
          this.retry = setTimeout(send, RETRY_MS);
          this.retry.unref();
        }
      });
    send();
    if (intervalMs > 0) {
      this.timer = setInterval(send, intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.retry);
  }

  /** Lists the store and publishes its parts; resolves with the number of copies listed. */
  sendOnce(): Promise<number> {
    this.running ??= this.send().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async send(): Promise<number> {
    const takenAt = new Date().toISOString();
    let fromId = FIRST_FILE_ID;
    let part: Entry[] = [];
    let listed = 0;
    for await (const record of this.deps.store.list()) {
      if (part.length === MAX_INVENTORY_ENTRIES) {
        await this.publish(takenAt, fromId, record.id, part);
        fromId = record.id;
        part = [];
      }
      part.push({ fileId: record.id, sha256: record.sha256, size: record.size });
      listed += 1;
    }
    await this.publish(takenAt, fromId, null, part);
    this.deps.logger.info({ files: listed }, 'inventory sent');
    return listed;
  }

  private publish(takenAt: string, fromId: string, untilId: string | null, files: Entry[]): Promise<void> {
    const { broker, names, nodeId } = this.deps;
    const message = encodeMessage({
      type: 'NodeInventory',
      version: 1,
      node: nodeId,
      takenAt,
      fromId,
      untilId,
      files,
    });
    return broker.publish(names.eventsExchange, EventKeys.nodeInventory, message);
  }
}
