import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, asError } from '../../../../../shared/src/errors.ts';
import { faultEnabled } from '../../../../../shared/src/faults.ts';
import { TooLargeError } from '../../../../../shared/src/fs/hashing-stream.ts';
import type { Logger } from '../../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../../shared/src/process/background-work.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import { uploadError } from '../upload-errors.ts';
import type { UploadService } from '../upload-service.ts';
import type { PartialUpload, PartialUploadStore } from './partial-upload-store.ts';
import { RunningDigests } from './running-digests.ts';
import { UploadLocks } from './upload-locks.ts';

/** How often expired uploads are swept (and once at start). */
export const SWEEP_INTERVAL_MS = 10 * 60_000;

const CHECKSUM_MISMATCH_MESSAGE =
  'the bytes do not match the checksum sent with them; none of them were kept';

/** How long a status request waits for a hand-over under way before it answers UPLOAD_LOCKED. */
const HAND_OVER_WAIT_MS = 30_000;

export type ChecksumAlgorithm = 'sha1' | 'sha256';

export interface NewUpload {
  length: number;
  /** Already reduced by displayName. */
  name: string;
  contentType?: string | undefined;
  /** The client's own description of the upload, handed back as it came. */
  clientMetadata?: string | undefined;
}

export interface AppendOptions {
  /** The body's length: 0 for none, undefined when it streams without a declared length. */
  declaredBytes: number | undefined;
  /** The digest the body must have; when it has another, or is cut short, none of it is kept. */
  checksum?: { algorithm: ChecksumAlgorithm; digest: Buffer } | undefined;
  /** Called once the write is accepted, right before the body is read (to invite it). */
  beforeBody?: () => void;
}

export interface ResumableUploadsDeps {
  store: PartialUploadStore;
  uploads: Pick<UploadService, 'storeFile' | 'admit'>;
  /** Tells whether a hand-over a crash interrupted had already made its file. */
  files: Pick<MetadataStore, 'getFile'>;
  background: BackgroundWork;
  logger: Logger;
  maxUploadBytes: number;
  /** An upload not written to for this long expires (DFR_TUS_EXPIRE_AFTER_MS). */
  expireAfterMs: number;
  now?: () => number;
}

/**
 * Uploads that arrive in pieces, over as many requests as the client needs: created with their
 * length, appended to at their offset, and, when the last byte is durable, handed to the upload
 * service to become a file like any other. Protocol-free: the tus front end renders its errors.
 * Every request on one upload takes its lock; a second one meanwhile is refused (UPLOAD_LOCKED).
 */
export class ResumableUploads {
  private readonly locks = new UploadLocks();
  private readonly digests = new RunningDigests();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ResumableUploadsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async open(): Promise<void> {
    await this.deps.store.open();
  }

  /** Sweeps now, in the background (which also finishes uploads a crash left complete), and then every SWEEP_INTERVAL_MS. */
  start(): void {
    const sweep = () => this.deps.background.run('sweeping resumable uploads', () => this.sweep());
    sweep();
    this.timer = setInterval(sweep, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the sweeps and waits (at most timeoutMs) for writes under way to keep what they got. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    if (!(await this.locks.idle(timeoutMs)))
      this.deps.logger.warn('resumable upload writes still running at shutdown');
  }

  async create(spec: NewUpload): Promise<PartialUpload> {
    if (spec.length > this.deps.maxUploadBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${this.deps.maxUploadBytes} bytes`);
    }
    const now = this.now();
    const upload: PartialUpload = {
      ...spec,
      id: randomBytes(16).toString('hex'),
      offset: 0,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.deps.expireAfterMs).toISOString(),
    };
    await this.deps.store.create(upload);
    this.deps.logger.info({ uploadId: upload.id, length: upload.length }, 'resumable upload created');
    return upload.length === 0 ? this.locked(upload.id, () => this.finish(upload)) : upload;
  }

  /**
   * The upload as it stands. One that has every byte but is not a file yet (its hand-over failed,
   * a crash cut it short, or it is under way) is made one first, or waited for, so that a client
   * that asks is never told it is done while no file exists.
   */
  async status(id: string): Promise<PartialUpload> {
    const upload = await this.live(id);
    if (upload.offset < upload.length || upload.finishedAt) return upload;
    // A complete upload's lock is held by a hand-over (a hash and a commit at most) or a DELETE.
    if (!(await this.locks.whenFree(id, HAND_OVER_WAIT_MS))) {
      throw new AppError('UPLOAD_LOCKED', 'the upload is becoming a file; ask again in a moment');
    }
    return this.locked(id, async () => {
      const current = await this.live(id);
      return current.finishedAt ? current : this.finish(current);
    });
  }

  /**
   * Writes `body` at `offset`, which must be where the upload stands. Bytes that arrive are kept
   * even if the body is cut short, unless a checksum was given: then the body counts whole or not
   * at all. Resolves with the upload after the write, a file if that was its last byte.
   */
  async append(id: string, offset: number, body: Readable, options: AppendOptions): Promise<PartialUpload> {
    return this.locked(id, async () => {
      const upload = await this.live(id);
      if (offset !== upload.offset) {
        throw new AppError('OFFSET_MISMATCH', `the upload is at offset ${upload.offset}, not ${offset}`);
      }
      const room = upload.length - upload.offset;
      if (options.declaredBytes === undefined ? room === 0 : options.declaredBytes > room) {
        throw new AppError('PAYLOAD_TOO_LARGE', `the upload has room for ${room} more bytes`);
      }
      if (room === 0) return upload.finishedAt ? upload : this.finish(upload);
      options.beforeBody?.();
      const written = await this.write(upload, body, options);
      return written.offset === written.length ? this.finish(written) : written;
    });
  }

  /** Forgets the upload and its bytes; a file it already became stays. */
  async terminate(id: string): Promise<void> {
    await this.locked(id, async () => {
      if (!(await this.deps.store.get(id))) throw new AppError('NOT_FOUND', 'no such upload');
      await this.deps.store.remove(id);
      this.digests.forget(id);
    });
  }

  /** Removes expired uploads and makes files of complete ones that are not files yet. */
  async sweep(): Promise<{ expired: number; finished: number }> {
    const counts = { expired: 0, finished: 0 };
    for await (const { id } of this.deps.store.list()) {
      const release = this.locks.tryAcquire(id);
      if (!release) continue;
      try {
        const upload = await this.deps.store.get(id);
        if (!upload) continue;
        if (Date.parse(upload.expiresAt) <= this.now()) {
          await this.deps.store.remove(id);
          this.digests.forget(id);
          counts.expired += 1;
        } else if (!upload.finishedAt && upload.offset === upload.length) {
          await this.finish(upload);
          counts.finished += 1;
        }
      } catch (err) {
        this.deps.logger.error({ err, uploadId: id }, 'sweeping a resumable upload failed');
      } finally {
        release();
      }
    }
    if (counts.expired + counts.finished > 0) this.deps.logger.info(counts, 'swept resumable uploads');
    return counts;
  }

  private async write(upload: PartialUpload, body: Readable, options: AppendOptions): Promise<PartialUpload> {
    const room = upload.length - upload.offset;
    const hash = this.digests.fork(upload.id, upload.offset);
    const check = options.checksum && {
      hash: createHash(options.checksum.algorithm),
      expected: options.checksum.digest,
    };
    const write = await this.deps.store.write(upload.id, upload.offset, {
      maxBytes: room,
      onWritten: (chunk) => {
        hash?.update(chunk);
        check?.hash.update(chunk);
      },
    });
    const failure = await pipeline(body, write.sink).then(
      () => undefined,
      (err: unknown) => asError(err),
    );
    const verified = !check || (failure === undefined && check.hash.digest().equals(check.expected));
    if (!verified || failure instanceof TooLargeError) {
      await write.discard();
      if (failure instanceof TooLargeError) {
        throw new AppError('PAYLOAD_TOO_LARGE', `the upload has room for ${room} more bytes`, {
          cause: failure,
        });
      }
      throw failure ? uploadError(failure) : new AppError('CHECKSUM_MISMATCH', CHECKSUM_MISMATCH_MESSAGE);
    }
    await write.keep();
    let kept = upload;
    if (write.written > 0) {
      kept = { ...upload, offset: upload.offset + write.written, expiresAt: this.expiryFromNow() };
      await this.deps.store.save(kept);
      this.digests.commit(upload.id, hash, kept.offset);
    }
    if (failure) {
      this.deps.logger.info(
        { uploadId: upload.id, offset: kept.offset },
        'kept the bytes of a write cut short',
      );
      throw uploadError(failure);
    }
    return kept;
  }

  /**
   * Makes a complete upload a file through the upload service, under the upload's lock. The
   * file's id is recorded before the file is, so after a crash a file already made is found
   * rather than made twice; until the upload is marked finished its bytes stay, so a crash at
   * any point leaves something to finish from.
   */
  private async finish(upload: PartialUpload): Promise<PartialUpload> {
    if (upload.fileId && (await this.deps.files.getFile(upload.fileId)))
      return this.finished(upload, upload.fileId);
    const stored = await this.deps.uploads.storeFile(
      this.deps.store.bytesPath(upload.id),
      { name: upload.name, contentType: upload.contentType },
      { expectedSize: upload.length, digest: this.digests.digest(upload.id, upload.length) },
    );
    await this.deps.store.save({ ...upload, fileId: stored.record.id });
    if (faultEnabled('crash-before-file-admitted')) process.kill(process.pid, 'SIGKILL');
    const file = await this.deps.uploads.admit(stored);
    if (faultEnabled('crash-after-file-admitted')) process.kill(process.pid, 'SIGKILL');
    return this.finished(upload, file.id);
  }

  private async finished(upload: PartialUpload, fileId: string): Promise<PartialUpload> {
    const done = {
      ...upload,
      fileId,
      finishedAt: new Date(this.now()).toISOString(),
      expiresAt: this.expiryFromNow(),
    };
    await this.deps.store.save(done);
    await this.deps.store.removeBytes(upload.id);
    this.digests.forget(upload.id);
    this.deps.logger.info({ uploadId: upload.id, fileId, size: upload.length }, 'resumable upload is a file');
    return done;
  }

  private async live(id: string): Promise<PartialUpload> {
    const upload = await this.deps.store.get(id);
    if (!upload) throw new AppError('NOT_FOUND', 'no such upload');
    if (Date.parse(upload.expiresAt) <= this.now())
      throw new AppError('UPLOAD_EXPIRED', 'the upload expired');
    return upload;
  }

  private async locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const release = this.locks.tryAcquire(id);
    if (!release) {
      throw new AppError(
        'UPLOAD_LOCKED',
        'another request is writing to this upload; try again once it is done',
      );
    }
    try {
      return await work();
    } finally {
      release();
    }
  }

  private expiryFromNow(): string {
    return new Date(this.now() + this.deps.expireAfterMs).toISOString();
  }
}
