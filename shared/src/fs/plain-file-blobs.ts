import { createReadStream, existsSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { asError } from '../errors.ts';
import { FileId } from '../messages/common.ts';
import { checkDigest, ensureDirectory, writeAtomically, writeFileAtomically } from './atomic-write.ts';
import type { BlobRecord, ByteRange, BytesToPut, Digest, PutOptions } from './blob-store.ts';
import { hashFile } from './hash-file.ts';
import { TooLargeError } from './hashing-stream.ts';
import { parseRecord, receiptFor } from './receipts.ts';
import { pathInside } from './safe-path.ts';
import { VerifyingStream } from './verifying-stream.ts';

const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Blobs as plain files: `blobs/<2 hex>/<id>` holds a file's bytes and `<id>.json` beside it its
 * receipt. A blob counts as held only once its receipt exists, and the receipt is written after
 * the verified blob was renamed into place, so a crash at any point leaves either a complete
 * file or something that is ignored. The kind for large files: a copy is one file, read and
 * written at the disk's pace, and recoverable by hand with `cp`.
 */
export class PlainFileBlobs {
  private readonly blobsDir: string;

  constructor(
    root: string,
    /** A folder for temporary files on the same filesystem. */
    private readonly tmpDir: string,
  ) {
    this.blobsDir = join(root, 'blobs');
  }

  async open(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
  }

  /** Where a blob's bytes are (whether or not it is held). */
  path(id: string): string {
    const valid = FileId.parse(id);
    return pathInside(this.blobsDir, valid.slice(0, 2), valid);
  }

  private recordPath(id: string): string {
    return `${this.path(id)}.json`;
  }

  async put(id: string, source: Readable, options: PutOptions = {}): Promise<BlobRecord> {
    // The receipt goes to the same directory and its write fsyncs the directory: one sync for both renames.
    const digest = await writeAtomically(source, this.path(id), {
      tmpDir: this.tmpDir,
      ...options,
      syncDirectory: false,
    });
    return this.writeReceipt(receiptFor(id, digest, options));
  }

  /** Each file as its own `put`, all at once. */
  putMany(files: readonly BytesToPut[]): Promise<(BlobRecord | Error)[]> {
    return Promise.all(
      files.map(({ id, bytes, options }) => this.put(id, Readable.from([bytes]), options).catch(asError)),
    );
  }

  /** The blob becomes a hard link to the file, so nothing is copied (see BlobStore.adopt). */
  async adopt(
    id: string,
    path: string,
    options: PutOptions & { digest?: Digest | undefined } = {},
  ): Promise<BlobRecord> {
    const size = (await stat(path)).size;
    if (options.maxBytes !== undefined && size > options.maxBytes) throw new TooLargeError(options.maxBytes);
    const digest = options.digest?.size === size ? options.digest : await hashFile(path);
    checkDigest(digest, options);
    const target = this.path(id);
    await ensureDirectory(dirname(target));
    await rm(target, { force: true });
    await link(path, target);
    // As in put: the receipt's directory sync makes the new name durable too.
    return this.writeReceipt(receiptFor(id, digest, options));
  }

  /** Bytes without their receipt are not held: if the receipt cannot be written, they go too. */
  private async writeReceipt(record: BlobRecord): Promise<BlobRecord> {
    try {
      await writeFileAtomically(this.recordPath(record.id), JSON.stringify(record), this.tmpDir);
      return record;
    } catch (err) {
      await rm(this.path(record.id), { force: true });
      throw err;
    }
  }

  async get(id: string): Promise<BlobRecord | undefined> {
    // Most lookups of a tiered store that miss its table miss here too (a new small copy): one
    // synchronous stat answers that without a round trip through libuv's threads.
    if (!existsSync(this.recordPath(id))) return undefined;
    const record = parseRecord(await readFile(this.recordPath(id), 'utf8').catch(() => undefined));
    if (!record) return undefined;
    const info = await stat(this.path(id)).catch(() => undefined);
    return info?.size === record.size ? record : undefined;
  }

  async verify(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    const digest = await hashFile(this.path(id)).catch(() => undefined);
    return digest?.sha256 === record.sha256 && digest.size === record.size;
  }

  read(id: string, range?: ByteRange): Readable {
    // 256 KiB reads: the 64 KiB default costs several times the CPU per GiB served, and 1 MiB
    // chunks held until a garbage collection raised a busy ingest's peak memory by ~10 MiB.
    return createReadStream(this.path(id), { ...range, highWaterMark: READ_CHUNK_BYTES });
  }

  readVerified(
    expected: { id: string; sha256: string; size: number },
    range: ByteRange | undefined,
    onMismatch: () => void,
  ): Readable {
    const bytes = this.read(expected.id, range);
    if (range) return bytes;
    return pipeline(bytes, new VerifyingStream(expected, onMismatch), () => undefined);
  }

  /** Receipt first, then bytes, so a half-done removal never looks like a held file. */
  async remove(id: string): Promise<void> {
    await rm(this.recordPath(id), { force: true });
    await rm(this.path(id), { force: true });
  }

  async *list(): AsyncGenerator<BlobRecord> {
    const shards = await readdir(this.blobsDir).catch(() => [] as string[]);
    for (const shard of shards.sort()) {
      const entries = await readdir(join(this.blobsDir, shard)).catch(() => [] as string[]);
      for (const entry of entries.sort()) {
        if (!entry.endsWith('.json')) continue;
        const record = await this.get(entry.slice(0, -'.json'.length)).catch(() => undefined);
        if (record) yield record;
      }
    }
  }
}
