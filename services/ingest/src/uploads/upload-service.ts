import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobRecord, BlobStore, Digest } from '../../../../shared/src/fs/blob-store.ts';
import { declaredMediaType } from '../../../../shared/src/http/content-type.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { FileStatuses } from '../cluster/file-statuses.ts';
import type { Placer } from '../cluster/placer.ts';
import type { EventLog } from '../events/event-log.ts';
import type { CommandPublisher } from '../replication/command-publisher.ts';
import { CLAIM_LEASE_MS } from '../replication/outbox-policy.ts';
import type { ReplicaWaits } from '../replication/replica-waits.ts';
import type { FileRecord, FileStatus } from '../store/metadata-store.ts';
import type { GroupCommit } from './group-commit.ts';
import { uploadError } from './upload-errors.ts';

/** What a client said about an upload besides its bytes. */
export interface UploadMeta {
  /** Already reduced by displayName. */
  name: string;
  contentType?: string | undefined;
}

/** Bytes durable in the data directory that are not a file yet (see `UploadService.admit`). */
export interface StoredUpload {
  record: BlobRecord;
  meta: UploadMeta;
}

export interface UploadServiceDeps {
  blobs: BlobStore;
  admissions: GroupCommit;
  statuses: Pick<FileStatuses, 'get'>;
  publisher: CommandPublisher;
  waits: ReplicaWaits;
  background: BackgroundWork;
  logger: Logger;
  /** This ingest instance, recorded as the holder of every main copy it stores. */
  instanceId: string;
  /** Chooses the nodes of a new file's replicas. */
  placer: Pick<Placer, 'forNewFile'>;
  /** Replicas per file unless the upload asks otherwise (DFR_REPLICAS). */
  defaultReplicas: number;
  /** Told when a file got fewer nodes than replicas wanted, so the rest is placed when nodes appear. */
  onUnderPlaced: () => void;
  events: EventLog;
  maxUploadBytes: number;
}

/**
 * The upload use case, free of any protocol: store the bytes durably, record the file and its
 * replicas, send the commands, and wait for replicas when asked. Every front end (the REST
 * routes, S3, tus) calls it, so an upload means the same whichever way it came. Errors are
 * AppErrors with the service's codes, for each front end to render.
 */
export class UploadService {
  constructor(private readonly deps: UploadServiceDeps) {}

  /**
   * Streams a body into the data directory, hashed on the way, limited to the maximum upload
   * size: a small one as a row stored with the other small uploads of the moment in one
   * transaction, a large one as a plain file (the store tells them apart by reading). Durable
   * when it resolves, but not a file until admitted.
   */
  async store(body: Readable, meta: UploadMeta): Promise<StoredUpload> {
    const options = { maxBytes: this.deps.maxUploadBytes, name: meta.name };
    try {
      return { record: await this.deps.blobs.put(randomUUID(), body, options), meta };
    } catch (err) {
      throw uploadError(err);
    }
  }

  /**
   * `store` for bytes already complete and durable in a file of the data directory (a finished
   * resumable upload): the file becomes the stored bytes without being copied (BlobStore.adopt)
   * and stays where it is, for its owner to remove once the bytes are admitted. A file of
   * another size than `expectedSize` is refused; `digest`, when the owner hashed the bytes as
   * they arrived, spares reading them again.
   */
  async storeFile(
    path: string,
    meta: UploadMeta,
    expected: { expectedSize: number; digest?: Digest | undefined },
  ): Promise<StoredUpload> {
    const options = { maxBytes: this.deps.maxUploadBytes, name: meta.name, ...expected };
    try {
      return { record: await this.deps.blobs.adopt(randomUUID(), path, options), meta };
    } catch (err) {
      throw uploadError(err);
    }
  }

  /**
   * Makes stored bytes a file: its record and one pending replica per placed node (`replicas`
   * of them, default DFR_REPLICAS), committed and fsynced with the other files admitted at the
   * same moment. The commands go out after the commit without being waited for: an unsent
   * command stays due in the outbox, so an upload never waits on the broker. On failure the
   * stored bytes are dropped.
   */
  async admit(stored: StoredUpload, options: { replicas?: number | undefined } = {}): Promise<FileRecord> {
    const { record, meta } = stored;
    const file: FileRecord = {
      id: record.id,
      name: meta.name,
      size: record.size,
      sha256: record.sha256,
      createdAt: record.storedAt,
      // Reduced to `type/subtype` whatever a front end passed: the commands carry it, and a
      // worker refuses a command whose media type does not fit the schema.
      contentType: declaredMediaType(meta.contentType),
      origin: this.deps.instanceId,
    };
    const target = options.replicas ?? this.deps.defaultReplicas;
    let nodes: string[];
    try {
      nodes = await this.deps.placer.forNewFile(target, file.size);
      // The lease keeps other instances' reconcilers off these commands while this one sends them.
      await this.deps.admissions.addFile({ file, nodes, target }, Date.now() + CLAIM_LEASE_MS);
    } catch (err) {
      // On a full disk even a delete may not fit: the bytes are then an orphan, swept later.
      await this.discard(stored).catch((discardErr: unknown) =>
        this.deps.logger.warn({ err: discardErr, fileId: record.id }, 'could not drop the stored bytes'),
      );
      throw err;
    }
    if (nodes.length < target) this.deps.onUnderPlaced();
    this.deps.logger.info({ fileId: file.id, size: file.size }, 'file stored');
    void this.deps.events.record({
      type: 'file.received',
      fileId: file.id,
      data: { name: file.name, size: file.size, sha256: file.sha256, target, nodes },
    });
    const commands = nodes.map((node) => ({
      kind: 'replicate' as const,
      file,
      node,
      state: 'pending' as const,
      attempts: 0,
    }));
    this.deps.background.run('publishing replication commands', () => this.deps.publisher.publish(commands), {
      fileId: file.id,
    });
    return file;
  }

  /** Drops stored bytes that will not become a file (the client was answered otherwise). */
  async discard(stored: StoredUpload): Promise<void> {
    await this.deps.blobs.remove(stored.record.id);
  }

  /** `store` then `admit`. */
  async upload(
    body: Readable,
    meta: UploadMeta,
    options: { replicas?: number | undefined } = {},
  ): Promise<FileRecord> {
    return this.admit(await this.store(body, meta), options);
  }

  /**
   * The file's status once `wanted` replicas are confirmed, every replica settled, or `timeoutMs`
   * passed (0 or undefined: at once); undefined if the file is gone.
   */
  async statusAfter(
    fileId: string,
    wanted: number | undefined,
    timeoutMs: number,
  ): Promise<FileStatus | undefined> {
    if (wanted === undefined || wanted <= 0) return this.deps.statuses.get(fileId);
    return this.deps.waits.waitFor(fileId, wanted, timeoutMs);
  }
}
