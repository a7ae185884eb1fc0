import { pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker, Delivery, Disposition } from '../../../shared/src/broker/broker.ts';
import { EventKeys, type TopologyNames } from '../../../shared/src/broker/topology.ts';
import { errorMessage } from '../../../shared/src/errors.ts';
import { faultEnabled, throttle } from '../../../shared/src/faults.ts';
import type { BlobRecord, BlobStore, PutOptions } from '../../../shared/src/fs/blob-store.ts';
import { discard, getStream } from '../../../shared/src/http/get-stream.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import {
  type ClusterEvent,
  type DeleteFile,
  encodeMessage,
  NodeCommand,
  parseMessage,
  type ReplicateFile,
  type ReplicateFiles,
} from '../../../shared/src/messages/index.ts';
import type { InlineReplica } from '../../../shared/src/messages/replicate-files.ts';
import { failureReason, type WorkerMetrics } from './worker-metrics.ts';

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
  metrics?: WorkerMetrics;
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
    if (command.node !== this.deps.nodeId) {
      this.deps.logger.error(
        { messageId: delivery.messageId, node: command.node },
        'command for another node; dead-lettering',
      );
      return 'reject';
    }
    if (command.type === 'ReplicateFiles') return this.replicateBatch(command, delivery);
    const log = this.deps.logger.child({ fileId: command.fileId, messageId: delivery.messageId });
    try {
      if (command.type === 'ReplicateFile') await this.replicate(command, delivery.deliveryCount, log);
      else await this.delete(command);
      return 'ack';
    } catch (err) {
      return this.onFailure(command, delivery, err, log);
    }
  };

  /**
   * Stores each small file of the batch and reports every copy held in one ReplicasStored. A copy
   * that could not be stored brings the whole batch back (the copies already held are only
   * reported again); on the last attempt it is reported failed instead.
   */
  private async replicateBatch(command: ReplicateFiles, delivery: Delivery): Promise<Disposition> {
    const log = this.deps.logger.child({ messageId: delivery.messageId, files: command.files.length });
    const started = Date.now();
    const { stored, failed } = await this.storeBatch(command.files);
    if (faultEnabled('crash-after-batch-stored')) process.kill(process.pid, 'SIGKILL');
    const attempt = delivery.deliveryCount + 1;
    try {
      if (stored.length > 0) {
        log.info({ stored: stored.length, ms: Date.now() - started }, 'replicas stored');
        await this.emit(EventKeys.replicaStored, {
          type: 'ReplicasStored',
          version: 1,
          node: this.deps.nodeId,
          replicas: stored.map(({ id, sha256, size, storedAt }) => ({ fileId: id, sha256, size, storedAt })),
        });
      }
      if (failed.length === 0) return 'ack';
      if (this.isLastAttempt(delivery)) {
        for (const { fileId, reason } of failed) {
          log.error({ fileId, reason, attempts: attempt }, 'giving up on this replica');
          await this.reportFailed(fileId, reason);
        }
        return 'ack';
      }
    } catch (publishErr) {
      log.warn({ err: publishErr, attempt }, 'could not report the batch; will retry');
      await sleep(this.retryDelayMs(delivery.deliveryCount));
      return 'requeue';
    }
    const [first] = failed;
    log.warn(
      { failed: failed.length, fileId: first?.fileId, reason: first?.reason, attempt },
      'copies of the batch failed; will retry',
    );
    await sleep(this.retryDelayMs(delivery.deliveryCount));
    return 'requeue';
  }

  /** Keeps the files of a batch: copies already held as they are, the others written together. */
  private async storeBatch(
    files: InlineReplica[],
  ): Promise<{ stored: BlobRecord[]; failed: { fileId: string; reason: string }[] }> {
    const stored: BlobRecord[] = [];
    const missing: InlineReplica[] = [];
    for (const file of files) {
      const held = await this.heldCopy(file);
      if (held) stored.push(held);
      else missing.push(file);
    }
    const outcomes = await this.deps.store.putMany(
      missing.map((file) => ({
        id: file.fileId,
        bytes: Buffer.from(file.content, 'base64'),
        options: expectationsOf(file),
      })),
    );
    const failed: { fileId: string; reason: string }[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome instanceof Error) {
        failed.push({ fileId: missing[i]?.fileId ?? '', reason: errorMessage(outcome) });
        this.deps.metrics?.failed(failureReason(outcome, false));
      } else {
        stored.push(outcome);
        this.deps.metrics?.copied(outcome.size);
      }
    }
    return { stored, failed };
  }

  /** The store's receipt for the file, if it holds a copy with the command's size and SHA-256. */
  private async heldCopy(file: {
    fileId: string;
    size: number;
    sha256: string;
  }): Promise<BlobRecord | undefined> {
    const held = await this.deps.store.get(file.fileId);
    return isCopyOf(held, file) ? held : undefined;
  }

  private async replicate(command: ReplicateFile, earlierAttempts: number, log: Logger): Promise<void> {
    const held = await this.heldCopy(command);
    if (held) {
      log.debug('already holds a verified copy');
      await this.reportStored(held);
      return;
    }
    const started = Date.now();
    const record = await this.copy(command, earlierAttempts > 0);
    log.info({ size: record.size, ms: Date.now() - started }, 'replica stored');
    this.deps.metrics?.copied(record.size);
    await this.reportStored(record);
  }

  /**
   * Copies the bytes in from the first source that serves them (ingest's main copy, then the
   * nodes holding verified replicas), checked against the command's size and SHA-256. Only when
   * every source says it has no such file is the copy given up (SourceGone); any other failure
   * is retried. Ingest skips its own check of the bytes it sends (this copy checks them anyway)
   * unless `verifiedSource`: a retry asks for it, so a damaged main copy is found and repaired
   * there, not just refused here.
   */
  private async copy(command: ReplicateFile, verifiedSource: boolean): Promise<BlobRecord> {
    const headers: Record<string, string> = {};
    if (this.deps.clusterToken) headers.authorization = `Bearer ${this.deps.clusterToken}`;
    const main = new URL(command.sourceUrl);
    if (verifiedSource) main.searchParams.set('verify', '1');
    const failures: string[] = [];
    let gone = 0;
    const sources = [main.href, ...(command.sources ?? [])];
    for (const source of sources) {
      const response = await getStream(source, { headers }).catch((err: unknown) => {
        failures.push(`${new URL(source).host}: ${errorMessage(err)}`);
        return undefined;
      });
      if (!response) continue;
      if (response.statusCode !== 200) {
        discard(response);
        if (response.statusCode === 404) gone += 1;
        failures.push(`${new URL(source).host} answered ${response.statusCode}`);
        continue;
      }
      let body: Readable = response;
      if (faultEnabled('slow-copy'))
        body = pipeline(body, throttle(SLOW_COPY_CHUNK_DELAY_MS), () => undefined);
      return this.deps.store.put(command.fileId, body, expectationsOf(command));
    }
    if (gone === sources.length) throw new SourceGone('no source has the file');
    throw new Error(`no source could serve the file (${failures.join('; ')})`);
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
    if (command.type !== 'DeleteFile')
      this.deps.metrics?.failed(failureReason(err, err instanceof SourceGone));
    if (command.type === 'ReplicateFile' && (err instanceof SourceGone || this.isLastAttempt(delivery))) {
      log.error({ reason, attempts: delivery.deliveryCount + 1 }, 'giving up on this replica');
      try {
        await this.reportFailed(command.fileId, reason);
        return 'ack';
      } catch (publishErr) {
        log.warn({ err: publishErr }, 'could not report the failure');
        return 'requeue';
      }
    }
    const delayMs = this.retryDelayMs(delivery.deliveryCount);
    log.warn(
      { reason, attempt: delivery.deliveryCount + 1, retryInMs: delayMs },
      `${command.type} failed; will retry`,
    );
    await sleep(delayMs);
    return 'requeue';
  }

  /** The node queue's delivery limit makes this the last try: report ReplicaFailed, do not retry. */
  private isLastAttempt(delivery: Delivery): boolean {
    return delivery.deliveryCount + 1 >= this.deps.deliveryLimit;
  }

  private retryDelayMs(earlierAttempts: number): number {
    return Math.min(10_000, (this.deps.retryBaseDelayMs ?? 250) * 2 ** earlierAttempts);
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

  private reportFailed(fileId: string, reason: string): Promise<void> {
    return this.emit(EventKeys.replicaFailed, {
      type: 'ReplicaFailed',
      version: 1,
      fileId,
      node: this.deps.nodeId,
      reason,
    });
  }

  private emit(routingKey: string, event: ClusterEvent): Promise<void> {
    return this.deps.broker.publish(this.deps.names.eventsExchange, routingKey, encodeMessage(event));
  }
}

/** True when a receipt is for a copy with the command's size and SHA-256. */
function isCopyOf(
  record: BlobRecord | undefined,
  file: { size: number; sha256: string },
): record is BlobRecord {
  return record !== undefined && record.sha256 === file.sha256 && record.size === file.size;
}

/** What a copy must match: the size and SHA-256 from the command, and the name to keep. */
function expectationsOf(file: {
  size: number;
  sha256: string;
  name?: string | undefined;
  contentType?: string | undefined;
}): PutOptions {
  return {
    expectedSha256: file.sha256,
    expectedSize: file.size,
    ...(file.name !== undefined ? { name: file.name } : {}),
    ...(file.contentType !== undefined ? { contentType: file.contentType } : {}),
  };
}
