import { type FileHandle, open, readdir, readFile, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ensureDirectory, writeFileAtomically } from '../../../../../shared/src/fs/atomic-write.ts';
import { TooLargeError } from '../../../../../shared/src/fs/hashing-stream.ts';
import { pathInside } from '../../../../../shared/src/fs/safe-path.ts';
import {
  PartialUpload,
  type PartialUploadStore,
  type PartialWrite,
  UploadId,
  type WriteOptions,
} from './partial-upload-store.ts';

const RECORD_SUFFIX = '.json';

/**
 * Resumable uploads in a folder of the data directory: `<id>` holds the bytes received so far,
 * `<id>.json` the record. Records are replaced like receipts (temporary file in the store's own
 * `.tmp/`, fsync, rename, directory fsync), so a record is always whole and never ahead of the
 * bytes it counts. The folder must be on the data directory's filesystem, for the hand-over by
 * hard link.
 */
export class FilePartialUploadStore implements PartialUploadStore {
  constructor(
    private readonly root: string,
    /** A folder for temporary files on the same filesystem, swept by its owner (BlobStore.tmpDir). */
    private readonly tmpDir: string,
  ) {}

  async open(): Promise<void> {
    await ensureDirectory(this.root);
    const names = new Set(await readdir(this.root));
    for (const name of names) {
      // Bytes are created before their record: bytes alone are an upload whose POST never got an answer.
      if (UploadId.safeParse(name).success && !names.has(`${name}${RECORD_SUFFIX}`)) {
        await rm(this.bytesPath(name), { force: true });
      }
    }
  }

  async create(upload: PartialUpload): Promise<void> {
    const handle = await open(this.bytesPath(upload.id), 'wx');
    await handle.close();
    // Same folder: the record's directory fsync makes the new bytes file's name durable too.
    await this.save(upload);
  }

  async get(id: string): Promise<PartialUpload | undefined> {
    if (!UploadId.safeParse(id).success) return undefined;
    const text = await readFile(this.recordPath(id), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const parsed = PartialUpload.safeParse(safeJson(text));
    return parsed.success && parsed.data.id === id ? parsed.data : undefined;
  }

  async *list(): AsyncGenerator<PartialUpload> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith(RECORD_SUFFIX)) continue;
      const upload = await this.get(name.slice(0, -RECORD_SUFFIX.length));
      if (upload) yield upload;
    }
  }

  async save(upload: PartialUpload): Promise<void> {
    await writeFileAtomically(this.recordPath(upload.id), JSON.stringify(upload), this.tmpDir);
  }

  async write(id: string, offset: number, options: WriteOptions): Promise<PartialWrite> {
    const handle = await open(this.bytesPath(id), 'r+');
    try {
      await handle.truncate(offset);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new FileWrite(handle, offset, options);
  }

  bytesPath(id: string): string {
    return pathInside(this.root, UploadId.parse(id));
  }

  async removeBytes(id: string): Promise<void> {
    await rm(this.bytesPath(id), { force: true });
  }

  async remove(id: string): Promise<void> {
    await rm(this.recordPath(id), { force: true });
    await this.removeBytes(id);
  }

  private recordPath(id: string): string {
    return `${this.bytesPath(id)}${RECORD_SUFFIX}`;
  }
}

/**
 * Writes chunks at increasing positions with positional writes, counting only what the file
 * took, so that a write cut short knows exactly how many bytes it holds. Chunks that queue while
 * a write is under way go together in one writev.
 */
class FileWrite implements PartialWrite {
  readonly sink: Writable;
  private bytes = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly start: number,
    private readonly options: WriteOptions,
  ) {
    this.sink = new Writable({
      highWaterMark: 512 * 1024,
      writev: (chunks, done) => {
        this.inFlight = this.append(chunks.map((c) => c.chunk as Buffer)).then(() => done(), done);
      },
    });
  }

  get written(): number {
    return this.bytes;
  }

  async keep(): Promise<void> {
    await this.end(async () => {
      if (this.bytes > 0) await this.handle.datasync();
    });
  }

  async discard(): Promise<void> {
    await this.end(() => this.handle.truncate(this.start));
  }

  private async append(chunks: Buffer[]): Promise<void> {
    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (this.bytes + size > this.options.maxBytes) throw new TooLargeError(this.options.maxBytes);
    let pending = chunks;
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending, this.start + this.bytes);
      this.bytes += bytesWritten;
      pending = this.observe(pending, bytesWritten);
    }
  }

  /** Hands the first `count` bytes of `chunks` to the observer; returns what is left to write. */
  private observe(chunks: Buffer[], count: number): Buffer[] {
    let left = count;
    for (const [i, chunk] of chunks.entries()) {
      if (left >= chunk.length) {
        this.options.onWritten?.(chunk);
        left -= chunk.length;
        continue;
      }
      if (left > 0) this.options.onWritten?.(chunk.subarray(0, left));
      return [chunk.subarray(left), ...chunks.slice(i + 1)];
    }
    return [];
  }

  private async end(last: () => Promise<void>): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    // A write the sink started before it failed or was destroyed may still be running.
    await this.inFlight.catch(() => undefined);
    try {
      await last();
    } finally {
      await this.handle.close();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
