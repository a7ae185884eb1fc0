import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type Broker,
  BrokerError,
  type Delivery,
  type Disposition,
} from '../../../shared/src/broker/broker.ts';
import type { TopologyNames } from '../../../shared/src/broker/topology.ts';
import { errorMessage } from '../../../shared/src/errors.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import {
  ClusterEvent,
  encodeMessage,
  type NodeCommand,
  parseMessage,
} from '../../../shared/src/messages/index.ts';
import type { InlineReplica } from '../../../shared/src/messages/replicate-files.ts';
import { Batcher } from './batcher.ts';
import type {
  DueCommand,
  FileRecord,
  MetadataStore,
  OutboxPolicy,
  StoredOutcome,
  StoredReport,
} from './metadata-store.ts';
import type { NodeRegistry } from './node-registry.ts';

/**
 * A ReplicateFiles stays well under RabbitMQ's message size limit and a worker's prefetch of them
 * under a few MiB. Two batches in flight per node: a quorum queue's confirm takes 30-40 ms under
 * load here, and the next batch should not wait for the whole of it.
 */
const INLINE_BATCH_LIMITS = { maxItems: 64, maxBytes: 1024 * 1024, maxInFlight: 2 };

/** A small file's command waiting for its batch. */
interface InlineCommand {
  file: FileRecord;
  content: Buffer;
}

/** What every replicate command says of the file: what a copy must match, and what it keeps. */
function copyFacts(file: FileRecord): Omit<InlineReplica, 'content'> {
  return {
    fileId: file.id,
    size: file.size,
    sha256: file.sha256,
    name: file.name,
    ...(file.contentType !== undefined ? { contentType: file.contentType } : {}),
  };
}

export interface ReplicationDeps {
  broker: Broker;
  metadata: MetadataStore;
  registry: NodeRegistry;
  names: TopologyNames;
  logger: Logger;
  /** Base URL workers pull blobs from (`<url>/internal/blobs/<id>`). */
  sourceBaseUrl: () => string;
  /** Declares the topology again, for when a queue vanished under a live connection. */
  redeclareTopology: () => Promise<void>;
  /** Files up to this size travel inside the command (base64), sparing the worker a pull. */
  inlineMaxBytes: number;
  /** The main copy's bytes, for inlining; undefined when it cannot be read. */
  readMainCopy: (id: string) => Promise<Buffer | undefined>;
}

/**
 * Ingest's side of replication: publishes node commands from the metadata (the outbox), turns
 * cluster events into metadata, and wakes uploads waiting for replicas.
 */
export class Replication {
  private readonly changes = new EventEmitter();
  private readonly inlineBatches = new Batcher<InlineCommand, boolean>(
    async (node, batch) => {
      const sent = await this.publishInline(node, batch);
      return batch.map(() => sent);
    },
    INLINE_BATCH_LIMITS,
    ({ content }) => content.length,
  );

  constructor(private readonly deps: ReplicationDeps) {
    this.changes.setMaxListeners(0);
  }

  /**
   * Publishes the command for one replica and records when; a failure is left to the reconciler.
   * A small file's command joins the node's next ReplicateFiles batch, bytes included.
   */
  async publish(command: DueCommand, inline?: Buffer): Promise<boolean> {
    const { file, node } = command;
    if (command.kind === 'delete') {
      const message: NodeCommand = { type: 'DeleteFile', version: 1, fileId: file.id, node };
      return this.send(message, node, [file.id], `DeleteFile:${file.id}:${node}`);
    }
    const content = inline ?? (await this.inlineBytes(file));
    if (content) return this.inlineBatches.add(node, { file, content });
    const message: NodeCommand = {
      type: 'ReplicateFile',
      version: 1,
      node,
      ...copyFacts(file),
      sourceUrl: `${this.deps.sourceBaseUrl()}/internal/blobs/${file.id}`,
    };
    return this.send(message, node, [file.id], `ReplicateFile:${file.id}:${node}`);
  }

  private publishInline(node: string, batch: InlineCommand[]): Promise<boolean> {
    const message: NodeCommand = {
      type: 'ReplicateFiles',
      version: 1,
      node,
      files: batch.map(({ file, content }) => ({ ...copyFacts(file), content: content.toString('base64') })),
    };
    const fileIds = batch.map(({ file }) => file.id);
    return this.send(message, node, fileIds, `ReplicateFiles:${node}:${randomUUID()}`);
  }

  /** Publishes a command about `fileIds` and records when; never rejects. */
  private async send(
    message: NodeCommand,
    node: string,
    fileIds: string[],
    messageId: string,
  ): Promise<boolean> {
    const { broker, names, metadata, logger } = this.deps;
    try {
      await broker.publish(names.replicateExchange, node, encodeMessage(message), { messageId });
      metadata.markPublished(fileIds, node, Date.now());
      return true;
    } catch (err) {
      logger.warn(
        { fileId: fileIds[0], files: fileIds.length, node, err: errorMessage(err) },
        `could not publish ${message.type}; the reconciler will retry`,
      );
      if (err instanceof BrokerError && err.code === 'UNROUTABLE') {
        await this.deps
          .redeclareTopology()
          .catch((declareErr) =>
            logger.warn({ err: errorMessage(declareErr) }, 'could not declare the topology again'),
          );
      }
      return false;
    }
  }

  /** A DeleteFile that no replica row tracks: best effort, since the copy it removes is not counted. */
  private async sendDelete(fileId: string, node: string): Promise<void> {
    const message: NodeCommand = { type: 'DeleteFile', version: 1, fileId, node };
    await this.deps.broker
      .publish(this.deps.names.replicateExchange, node, encodeMessage(message))
      .catch((err) =>
        this.deps.logger.warn({ fileId, node, err: errorMessage(err) }, 'could not send DeleteFile'),
      );
  }

  /**
   * Publishes a command for each node, concurrently, without throwing. `bytes`, when the caller
   * still holds the file in memory (a small upload), spares reading it back from disk.
   */
  async publishAll(
    kind: DueCommand['kind'],
    file: FileRecord,
    nodes: string[],
    bytes?: Buffer,
  ): Promise<void> {
    // Read a small file once for all nodes rather than once per command.
    const inline = kind === 'replicate' ? await this.inlineBytes(file, bytes) : undefined;
    await Promise.all(nodes.map((node) => this.publish({ kind, file, node }, inline)));
  }

  private async inlineBytes(file: FileRecord, inMemory?: Buffer): Promise<Buffer | undefined> {
    if (file.size > this.deps.inlineMaxBytes) return undefined;
    if (inMemory?.length === file.size) return inMemory;
    const bytes = await this.deps.readMainCopy(file.id).catch(() => undefined);
    // The worker verifies the SHA-256 anyway; a short read just means "pull it instead".
    return bytes?.length === file.size ? bytes : undefined;
  }

  /** Publishes every command the outbox policy says is due; returns how many were sent. */
  async republishDue(policy: OutboxPolicy, batch = 500): Promise<number> {
    const due = this.deps.metadata.dueCommands(Date.now(), batch, policy);
    // A file due on several nodes (say after a broker outage) is read once for all of them.
    const inline = new Map<string, Promise<Buffer | undefined>>();
    const bytesOf = (file: FileRecord) => {
      const known = inline.get(file.id);
      if (known) return known;
      const bytes = this.inlineBytes(file);
      inline.set(file.id, bytes);
      return bytes;
    };
    const sent = await Promise.all(
      due.map(async (command) =>
        this.publish(command, command.kind === 'replicate' ? await bytesOf(command.file) : undefined),
      ),
    );
    return sent.filter(Boolean).length;
  }

  /** Consumer of the events queue. */
  handleEvent = async (delivery: Delivery): Promise<Disposition> => {
    const { metadata, registry } = this.deps;
    const parsed = parseMessage(ClusterEvent, delivery.body);
    if (!parsed.ok) {
      this.deps.logger.error(
        { messageId: delivery.messageId, error: parsed.error },
        'invalid event; dead-lettering',
      );
      return 'reject';
    }
    const event = parsed.value;
    const log = this.deps.logger.child({ messageId: delivery.messageId });
    switch (event.type) {
      case 'ReplicaStored':
        await this.afterStored(event, metadata.recordStored(event), log);
        break;
      case 'ReplicasStored': {
        const reports = event.replicas.map((replica) => ({ ...replica, node: event.node }));
        const outcomes = metadata.recordStoredMany(reports);
        for (const [i, report] of reports.entries()) {
          await this.afterStored(report, outcomes[i] ?? 'ignored', log);
        }
        break;
      }
      case 'ReplicaFailed':
        if (metadata.recordFailed(event.fileId, event.node, event.reason)) {
          log.warn({ fileId: event.fileId, node: event.node, reason: event.reason }, 'replica failed');
          this.changes.emit(event.fileId);
        }
        break;
      case 'ReplicaLost':
        if (metadata.recordLost(event.fileId, event.node, event.reason)) {
          log.warn(
            { fileId: event.fileId, node: event.node, reason: event.reason },
            'replica lost; sending it again',
          );
          this.changes.emit(event.fileId);
          const file = metadata.getFile(event.fileId);
          if (file) await this.publish({ kind: 'replicate', file, node: event.node });
        }
        break;
      case 'ReplicaDeleted':
        metadata.recordDeleted(event.fileId, event.node);
        break;
      case 'NodeHeartbeat':
        registry.record(event);
        break;
    }
    return 'ack';
  };

  private async afterStored(report: StoredReport, outcome: StoredOutcome, log: Logger): Promise<void> {
    if (outcome === 'mismatch') {
      log.warn(
        { fileId: report.fileId, node: report.node },
        'node reported a different SHA-256; not counted',
      );
    }
    if (outcome !== 'ignored') this.changes.emit(report.fileId);
    else if (!this.deps.metadata.getFile(report.fileId)) {
      // A copy finished after its file was deleted (or was never ours): the node must drop it.
      log.info(
        { fileId: report.fileId, node: report.node },
        'node holds a copy of a deleted file; deleting it',
      );
      await this.sendDelete(report.fileId, report.node);
    }
  }

  /**
   * Resolves when the file has `wanted` verified replicas, every replica has settled, or the
   * timeout passes, whichever comes first. Never rejects.
   */
  async waitForReplicas(fileId: string, wanted: number, timeoutMs: number): Promise<void> {
    const done = () => {
      const status = this.deps.metadata.getFile(fileId);
      return !status || status.replicas >= wanted || status.nodes.every((n) => n.state !== 'pending');
    };
    if (done()) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.changes.off(fileId, check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.changes.on(fileId, check);
    });
  }
}
