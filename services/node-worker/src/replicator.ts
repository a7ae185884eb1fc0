import { pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker, Delivery, Disposition } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import { errorMessage } from '../../../shared/src/errors.ts';
import { faultEnabled, throttle } from '../../../shared/src/faults.ts';
import type { BlobRecord, BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { discard, getStream } from '../../../shared/src/http/get-stream.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import {
  type ClusterEvent,
  type DeleteFile,
  encodeMessage,
  NodeCommand,
  parseMessage,
  type ReplicateFile,
} from '../../../shared/src/messages/index.ts';

export interface ReplicatorDeps {
  nodeId: string;
  store: BlobStore;
  broker: Broker;
  names: TopologyNames;
  logger: Logger;
  clusterToken: string | undefined;
  /** The node queue's delivery limit: the last attempt reports ReplicaFailed instead of retrying. */
  deliveryLimit: number;
  /** Backoff before a failed attempt is handed back (grows with the attempt number). */
  retryBaseDelayMs?: number;
}

const SLOW_COPY_CHUNK_DELAY_MS = 50;

/** The source answered that it has no such file (deleted meanwhile): retrying cannot help. */
class SourceGone extends Error {}

/**
 * Carries out a node's commands. Every effect is idempotent: a redelivered or duplicated
 * ReplicateFile finds the verified copy and only re-reports it; a DeleteFile for a missing file
 * still reports the deletion. The delivery is acknowledged only after the copy is durable and
 * the event about it was confirmed by the broker.
 */
export class Replicator {
  constructor(private readonly deps: ReplicatorDeps) {}

  handle = async (delivery: Delivery): Promise<Disposition> => {
    const parsed = parseMessage(NodeCommand, delivery.body);
    if (!parsed.ok) {
      this.deps.logger.error(
        { messageId: delivery.messageId, error: parsed.error },
        'invalid command; dead-lettering',
      );
      return 'reject';
    }
    const command = parsed.value;
    const log = this.deps.logger.child({ fileId: command.fileId, messageId: delivery.messageId });
    if (command.node !== this.deps.nodeId) {
      log.error({ node: command.node }, 'command for another node; dead-lettering');
      return 'reject';
    }
    try {
      if (command.type === 'ReplicateFile') await this.replicate(command, delivery.deliveryCount, log);
      else await this.delete(command);
      return 'ack';
    } catch (err) {
      return this.onFailure(command, delivery, err, log);
    }
  };

  private async replicate(command: ReplicateFile, earlierAttempts: number, log: Logger): Promise<void> {
    const held =
      command.content !== undefined
        ? this.deps.store.getSync(command.fileId)
        : await this.deps.store.get(command.fileId);
    if (held && held.sha256 === command.sha256 && held.size === command.size) {
      log.debug('already holds a verified copy');
      await this.reportStored(held);
      return;
    }
    const started = Date.now();
    const record = await this.copy(command, earlierAttempts > 0);
    log.info({ size: record.size, ms: Date.now() - started }, 'replica stored');
    await this.reportStored(record);
  }

  /**
   * Copies the bytes in, checked against the command's size and SHA-256. The source skips its
   * own check of the bytes it sends (this copy checks them anyway) unless `verifiedSource`: a
   * retry asks for it, so a damaged source copy is found and repaired there, not just refused here.
   */
  private async copy(command: ReplicateFile, verifiedSource: boolean): Promise<BlobRecord> {
    const expectations = {
      expectedSha256: command.sha256,
      expectedSize: command.size,
      ...(command.name !== undefined ? { name: command.name } : {}),
    };
    if (command.content !== undefined) {
      return this.deps.store.putBytes(command.fileId, Buffer.from(command.content, 'base64'), expectations);
    }
    const headers: Record<string, string> = {};
    if (this.deps.clusterToken) headers.authorization = `Bearer ${this.deps.clusterToken}`;
    const url = new URL(command.sourceUrl);
    if (verifiedSource) url.searchParams.set('verify', '1');
    const response = await getStream(url.href, { headers });
    if (response.statusCode !== 200) {
      discard(response);
      if (response.statusCode === 404) throw new SourceGone('the source has no such file');
      throw new Error(`source answered ${response.statusCode}`);
    }
    let body: Readable = response;
    if (faultEnabled('slow-copy')) body = pipeline(body, throttle(SLOW_COPY_CHUNK_DELAY_MS), () => undefined);
    return this.deps.store.put(command.fileId, body, expectations);
  }

  private async delete(command: DeleteFile): Promise<void> {
    await this.deps.store.remove(command.fileId);
    await this.emit(EventKeys.replicaDeleted, {
      type: 'ReplicaDeleted',
      version: 1,
      fileId: command.fileId,
      node: this.deps.nodeId,
    });
  }

  private async onFailure(
    command: NodeCommand,
    delivery: Delivery,
    err: unknown,
    log: Logger,
  ): Promise<Disposition> {
    const reason = errorMessage(err);
    const lastAttempt = delivery.deliveryCount + 1 >= this.deps.deliveryLimit;
    if (command.type === 'ReplicateFile' && (err instanceof SourceGone || lastAttempt)) {
      log.error({ reason, attempts: delivery.deliveryCount + 1 }, 'giving up on this replica');
      try {
        await this.emit(EventKeys.replicaFailed, {
          type: 'ReplicaFailed',
          version: 1,
          fileId: command.fileId,
          node: this.deps.nodeId,
          reason,
        });
        return 'ack';
      } catch (publishErr) {
        log.warn({ err: errorMessage(publishErr) }, 'could not report the failure');
        return 'requeue';
      }
    }
    const delayMs = Math.min(10_000, (this.deps.retryBaseDelayMs ?? 250) * 2 ** delivery.deliveryCount);
    log.warn(
      { reason, attempt: delivery.deliveryCount + 1, retryInMs: delayMs },
      `${command.type} failed; will retry`,
    );
    await sleep(delayMs);
    return 'requeue';
  }

  private reportStored(record: BlobRecord): Promise<void> {
    return this.emit(EventKeys.replicaStored, {
      type: 'ReplicaStored',
      version: 1,
      fileId: record.id,
      node: this.deps.nodeId,
      sha256: record.sha256,
      size: record.size,
      storedAt: record.storedAt,
    });
  }

  private emit(routingKey: string, event: ClusterEvent): Promise<void> {
    return this.deps.broker.publish(this.deps.names.eventsExchange, routingKey, encodeMessage(event));
  }
}
