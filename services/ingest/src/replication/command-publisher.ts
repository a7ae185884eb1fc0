import { randomUUID } from 'node:crypto';
import { Batcher } from '../../../../shared/src/batcher.ts';
import { type Broker, BrokerError } from '../../../../shared/src/broker/broker.ts';
import type { TopologyNames } from '../../../../shared/src/broker/topology.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import { encodeMessage, type NodeCommand } from '../../../../shared/src/messages/index.ts';
import type { InlineReplica } from '../../../../shared/src/messages/replicate-files.ts';
import type { DueCommand, FileRecord, MetadataStore } from '../store/metadata-store.ts';
import { dueAfterSend, type OutboxPolicy } from './outbox-policy.ts';

/**
 * A ReplicateFiles stays well under RabbitMQ's message size limit and a worker's prefetch of them
 * under a few MiB. Two batches in flight per node: a quorum queue's confirm takes 30-40 ms under
 * load here, and the next batch should not wait for the whole of it.
 */
const INLINE_BATCH_LIMITS = { maxItems: 64, maxBytes: 1024 * 1024, maxInFlight: 2 };

/** A small file's command waiting for its node's next batch. */
interface InlineCommand {
  command: DueCommand;
  content: Buffer;
}

export interface CommandPublisherDeps {
  broker: Broker;
  metadata: MetadataStore;
  names: TopologyNames;
  policy: OutboxPolicy;
  logger: Logger;
  /** Where workers pull a file's main copy from (`<url>/internal/blobs/<id>`). */
  sourceBaseUrl: (file: FileRecord) => string;
  /** Other places with verified copies (nodes' download URLs), for a copy to `node`. */
  otherSources: (file: FileRecord, node: string) => Promise<string[]>;
  /** Declares the topology again, for when a queue vanished under a live connection. */
  redeclareTopology: () => Promise<void>;
  /** Files up to this size travel inside the command (base64), sparing the worker a pull. */
  inlineMaxBytes: number;
  /** The main copy's bytes, for inlining; undefined when it cannot be read. */
  readMainCopy: (id: string) => Promise<Buffer | undefined>;
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

/**
 * Sends the outbox's commands to the nodes and records, per command, when it is due next: a
 * delete as DeleteFile, a small file's copy inside its node's next ReplicateFiles batch, any
 * other copy as a ReplicateFile the worker pulls. It never throws: a command that could not be
 * sent stays due, and the reconciler sends it later.
 */
export class CommandPublisher {
  private readonly inlineBatches = new Batcher<InlineCommand, boolean>(
    async (node, batch) => {
      const sent = await this.sendInline(node, batch);
      return batch.map(() => sent);
    },
    INLINE_BATCH_LIMITS,
    ({ content }) => content.length,
  );

  constructor(private readonly deps: CommandPublisherDeps) {}

  /**
   * Sends every command, concurrently; resolves with how many went out. A small file's bytes are
   * read from its main copy (a row) once, however many nodes they go to.
   */
  async publish(commands: readonly DueCommand[]): Promise<number> {
    const reads = new Map<string, Promise<Buffer | undefined>>();
    const inlineBytes = (file: FileRecord) => {
      let read = reads.get(file.id);
      if (!read) {
        read = this.inlineBytes(file);
        reads.set(file.id, read);
      }
      return read;
    };
    const sent = await Promise.all(
      commands.map(async (command) => {
        if (command.kind === 'delete') return this.sendOne(command, deleteMessage(command));
        const content = await inlineBytes(command.file);
        if (content) return this.inlineBatches.add(command.node, { command, content });
        return this.sendOne(command, await this.replicateMessage(command));
      }),
    );
    return sent.filter(Boolean).length;
  }

  /**
   * A DeleteFile that no replica row tracks (a copy reported for a file deleted meanwhile):
   * best effort, since the copy it removes is not counted anywhere.
   */
  async dropStrayCopy(fileId: string, node: string): Promise<void> {
    const message: NodeCommand = { type: 'DeleteFile', version: 1, fileId, node };
    await this.deps.broker
      .publish(this.deps.names.replicateExchange, node, encodeMessage(message))
      .catch((err: unknown) => this.deps.logger.warn({ err, fileId, node }, 'could not send DeleteFile'));
  }

  private async replicateMessage(command: DueCommand): Promise<NodeCommand> {
    const { file, node } = command;
    const sources = await this.deps.otherSources(file, node).catch(() => []);
    return {
      type: 'ReplicateFile',
      version: 1,
      node,
      ...copyFacts(file),
      sourceUrl: `${this.deps.sourceBaseUrl(file)}/internal/blobs/${file.id}`,
      ...(sources.length > 0 ? { sources: sources.slice(0, 16) } : {}),
    };
  }

  private sendOne(command: DueCommand, message: NodeCommand): Promise<boolean> {
    const messageId = `${message.type}:${command.file.id}:${command.node}`;
    return this.send(message, command.node, [command], messageId);
  }

  private sendInline(node: string, batch: InlineCommand[]): Promise<boolean> {
    const message: NodeCommand = {
      type: 'ReplicateFiles',
      version: 1,
      node,
      files: batch.map(({ command, content }) => ({
        ...copyFacts(command.file),
        content: content.toString('base64'),
      })),
    };
    const commands = batch.map(({ command }) => command);
    return this.send(message, node, commands, `ReplicateFiles:${node}:${randomUUID()}`);
  }

  /** Publishes one message carrying `commands` (all to `node`) and schedules them; never rejects. */
  private async send(
    message: NodeCommand,
    node: string,
    commands: readonly DueCommand[],
    messageId: string,
  ): Promise<boolean> {
    const { broker, names, metadata, policy, logger } = this.deps;
    let sent = false;
    try {
      await broker.publish(names.replicateExchange, node, encodeMessage(message), { messageId });
      sent = true;
    } catch (err) {
      const fileId = commands[0]?.file.id;
      logger.warn(
        { err, fileId, files: commands.length, node },
        `could not publish ${message.type}; the reconciler will retry`,
      );
      if (err instanceof BrokerError && err.code === 'UNROUTABLE') {
        await this.deps
          .redeclareTopology()
          .catch((declareErr: unknown) =>
            logger.warn({ err: declareErr }, 'could not declare the topology again'),
          );
      }
    }
    const nowMs = Date.now();
    const schedules = commands.map((command) => ({
      fileId: command.file.id,
      // Unsent: due again at once, for the reconciler's next pass.
      dueAtMs: sent ? dueAfterSend(policy, command, nowMs) : nowMs,
    }));
    await metadata
      .schedule(node, schedules, sent)
      .catch((err: unknown) =>
        logger.warn({ err, node, files: commands.length }, 'could not record when commands are due next'),
      );
    return sent;
  }

  private async inlineBytes(file: FileRecord): Promise<Buffer | undefined> {
    if (file.size > this.deps.inlineMaxBytes) return undefined;
    const bytes = await this.deps.readMainCopy(file.id).catch(() => undefined);
    // The worker verifies the SHA-256 anyway; a short read just means "pull it instead".
    return bytes?.length === file.size ? bytes : undefined;
  }
}

function deleteMessage({ file, node }: DueCommand): NodeCommand {
  return { type: 'DeleteFile', version: 1, fileId: file.id, node };
}
