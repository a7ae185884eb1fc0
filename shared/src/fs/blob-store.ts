import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, statSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { z } from 'zod';
import { asError } from '../errors.ts';
import { FileId, Sha256, Size, Timestamp } from '../messages/common.ts';
import { checkDigest, ensureDirectory, writeAtomically, writeFileAtomically } from './atomic-write.ts';
import { type FileWrite, writeEntriesAtomically } from './atomic-write-batch.ts';
import { writeBytesAtomicallySync } from './atomic-write-sync.ts';
import { hashFile } from './hash-file.ts';
import { TooLargeError } from './hashing-stream.ts';
import { pathInside } from './safe-path.ts';
import { VerifyingStream } from './verifying-stream.ts';

const TMP_SEPARATOR = '~';

/** Temporary folders of the stores open in this process. */
const liveTmpFolders = new Set<string>();

function ownTmpFolderName(): string {
  const name = [hostname(), process.pid, randomBytes(4).toString('hex')].join(TMP_SEPARATOR);
  liveTmpFolders.add(name);
  return name;
}

/** True when a temporary folder's name says it belongs to a process of this host that is gone. */
function ownerIsDead(folder: string): boolean {
  const [host, pidText] = folder.split(TMP_SEPARATOR);
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  // Our pid but no store of ours: a previous life of this process (pid 1 in a container).
  if (pid === process.pid) return !liveTmpFolders.has(folder);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const READ_CHUNK_BYTES = 256 * 1024;

/** A temporary file untouched this long belongs to no live copy. */
export const STALE_TMP_MS = 60_000;

/** The receipt kept beside each blob, which makes a store self-describing. */
export const BlobRecord = z.object({
  id: FileId,
  sha256: Sha256,
  size: Size,
  storedAt: Timestamp,
  name: z.string().optional(),
  /** The media type declared at upload, when there was one. */
  contentType: z.string().optional(),
});
export type BlobRecord = z.infer<typeof BlobRecord>;

/** The SHA-256 and size of bytes, as a writer that saw them go by computed them. */
export interface Digest {
  sha256: string;
  size: number;
}

export interface PutOptions {
  expectedSha256?: string;
  expectedSize?: number;
  maxBytes?: number;
  name?: string;
  /** Kept in the receipt, for serving the file as it was uploaded. */
  contentType?: string;
}

/**
 * A directory of blobs: `blobs/<2 hex>/<id>` holds a file's bytes as one plain file and
 * `<id>.json` beside it its receipt (id, size, SHA-256, time, name). A blob counts as held only
 * once its receipt exists, and the receipt is written after the verified blob was renamed into
 * place, so a crash at any point leaves either a complete file or something that is ignored.
 * Temporary files live in `.tmp/<writer>/` and are swept at start.
 */
export class BlobStore {
  /** This process's own folder for temporary files, inside `.tmp/`. */
  readonly tmpDir: string;
  private readonly tmpRoot: string;
  private readonly blobsDir: string;

  private readonly lostDir: string;

  constructor(readonly root: string) {
    this.lostDir = join(root, 'lost');
    this.tmpRoot = join(root, '.tmp');
    this.tmpDir = join(this.tmpRoot, ownTmpFolderName());
    this.blobsDir = join(root, 'blobs');
  }

  /** Creates the folders and sweeps temporary files a crash left behind. */
  async open(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    await this.sweepTemporary(STALE_TMP_MS);
  }

  /**
   * Removes what dead writers left in `.tmp/`; returns how many entries went. Several processes
   * may share a store, each writing in its own `<host>~<pid>~<nonce>` folder: a folder of a
   * process of this host that no longer runs goes at once, anything else once untouched for
   * olderThanMs (a writing copy touches its folder with every file it creates).
   */
  async sweepTemporary(olderThanMs: number): Promise<number> {
    const entries = await readdir(this.tmpRoot).catch(() => [] as string[]);
    let removed = 0;
    for (const entry of entries) {
      const path = join(this.tmpRoot, entry);
      if (path === this.tmpDir) continue;
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const dead = ownerIsDead(entry);
      if (dead || Date.now() - info.mtimeMs >= olderThanMs) {
        await rm(path, { force: true, recursive: true });
        removed += 1;
      }
    }
    return removed;
  }

  blobPath(id: string): string {
    const valid = FileId.parse(id);
    return pathInside(this.blobsDir, valid.slice(0, 2), valid);
  }

  private recordPath(id: string): string {
    return `${this.blobPath(id)}.json`;
  }

  /** Streams bytes in, verified against the expectations, and records the receipt. */
  async put(id: string, source: Readable, options: PutOptions = {}): Promise<BlobRecord> {
    // The receipt goes to the same directory and its write fsyncs the directory: one sync for both renames.
    const digest = await writeAtomically(source, this.blobPath(id), {
      tmpDir: this.tmpDir,
      ...options,
      syncDirectory: false,
    });
    const record = receiptFor(id, digest, options);
    await writeFileAtomically(this.recordPath(id), JSON.stringify(record), this.tmpDir);
    await rm(this.lostPath(id), { force: true });
    return record;
  }

  /**
   * `put` for bytes already complete and fsynced in a file on this store's filesystem (a finished
   * resumable upload): the blob becomes a hard link to that file, so nothing is copied. The file
   * stays where it is; its owner removes it once the blob is recorded as a file, so a crash in
   * between leaves the bytes under both names, never under neither (a blob no file owns is
   * swept, see orphan-sweep.ts). `digest`, from a writer that hashed the bytes as they arrived,
   * spares reading them again; without it the file is hashed here. The file must not change
   * afterwards: both names are the same bytes.
   */
  async adopt(
    id: string,
    path: string,
    options: PutOptions & { digest?: Digest | undefined } = {},
  ): Promise<BlobRecord> {
    const size = (await stat(path)).size;
    if (options.maxBytes !== undefined && size > options.maxBytes) throw new TooLargeError(options.maxBytes);
    const digest = options.digest?.size === size ? options.digest : await hashFile(path);
    checkDigest(digest, options);
    const target = this.blobPath(id);
    await ensureDirectory(dirname(target));
    await link(path, target);
    // As in put: the receipt's directory sync makes the new name durable too.
    const record = receiptFor(id, digest, options);
    await writeFileAtomically(this.recordPath(id), JSON.stringify(record), this.tmpDir);
    await rm(this.lostPath(id), { force: true });
    return record;
  }

  /**
   * `put` for bytes already in memory (a small file inside a single ReplicateFile; small uploads
   * and batches go through `putBytesMany`): the same checks and the same durability, done
   * synchronously (see atomic-write-sync.ts). Throws IntegrityError or TooLargeError like `put`.
   */
  putBytes(id: string, bytes: Buffer, options: PutOptions = {}): BlobRecord {
    const record = checkedReceipt(id, bytes, options);
    // As in put: the receipt's directory sync makes both renames durable.
    writeBytesAtomicallySync(this.blobPath(id), bytes, this.tmpDir, { syncDirectory: false });
    writeBytesAtomicallySync(this.recordPath(id), JSON.stringify(record), this.tmpDir, {
      syncDirectory: true,
    });
    rmSync(this.lostPath(id), { force: true });
    return record;
  }

  /**
   * `putBytes` for many files at once, all their fsyncs issued together.
   * Resolves with one outcome per file, in order: its receipt, or the error that kept it out.
   */
  async putBytesMany(
    files: readonly { id: string; bytes: Buffer; options?: PutOptions }[],
  ): Promise<(BlobRecord | Error)[]> {
    const outcomes: (BlobRecord | Error)[] = [];
    const entries: FileWrite[][] = [];
    for (const { id, bytes, options = {} } of files) {
      try {
        const record = checkedReceipt(id, bytes, options);
        outcomes.push(record);
        // Blob first, receipt second: a receipt never lands without its bytes.
        entries.push([
          { target: this.blobPath(id), data: bytes },
          { target: this.recordPath(id), data: JSON.stringify(record) },
        ]);
      } catch (err) {
        outcomes.push(asError(err));
        entries.push([]);
      }
    }
    const written = await writeEntriesAtomically(entries, this.tmpDir);
    return outcomes.map((outcome, i) => {
      const failure = written[i];
      if (outcome instanceof Error) return outcome;
      if (failure) return failure;
      rmSync(this.lostPath(outcome.id), { force: true });
      return outcome;
    });
  }

  /**
   * Drops a damaged copy and leaves a durable note that it was lost, so the loss can be
   * reported even if reporting fails now (see `lost()` and `forgetLost()`).
   */
  async markLost(id: string, reason: string): Promise<void> {
    await writeFileAtomically(this.lostPath(id), reason, this.tmpDir);
    await this.remove(id);
  }

  /** Ids of copies dropped as damaged whose loss has not been reported yet, with the reason. */
  async lost(): Promise<{ id: string; reason: string }[]> {
    const entries = await readdir(this.lostDir).catch(() => [] as string[]);
    const found: { id: string; reason: string }[] = [];
    for (const entry of entries) {
      if (!FileId.safeParse(entry).success) continue;
      const reason = await readFile(this.lostPath(entry), 'utf8').catch(() => undefined);
      if (reason !== undefined) found.push({ id: entry, reason });
    }
    return found;
  }

  async forgetLost(id: string): Promise<void> {
    await rm(this.lostPath(id), { force: true });
  }

  private lostPath(id: string): string {
    return pathInside(this.lostDir, FileId.parse(id));
  }

  /** The receipt of a held blob whose bytes are present with the recorded size, else undefined. */
  async get(id: string): Promise<BlobRecord | undefined> {
    const record = parseRecord(await readFile(this.recordPath(id), 'utf8').catch(() => undefined));
    if (!record) return undefined;
    const info = await stat(this.blobPath(id)).catch(() => undefined);
    return info?.size === record.size ? record : undefined;
  }

  /** `get` with synchronous calls (a receipt is a few hundred bytes), for the small-file path. */
  getSync(id: string): BlobRecord | undefined {
    let text: string | undefined;
    try {
      text = readFileSync(this.recordPath(id), 'utf8');
    } catch {
      return undefined;
    }
    const record = parseRecord(text);
    if (!record) return undefined;
    const info = statSync(this.blobPath(id), { throwIfNoEntry: false });
    return info?.size === record.size ? record : undefined;
  }

  /** Re-hashes the bytes and compares them with the receipt. */
  async verify(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    const digest = await hashFile(this.blobPath(id)).catch(() => undefined);
    return digest?.sha256 === record.sha256 && digest.size === record.size;
  }

  /** A stream of the bytes, or of the inclusive range [start, end]. */
  read(id: string, range?: { start: number; end: number }): Readable {
    // 256 KiB reads: the 64 KiB default costs several times the CPU per GiB served, and 1 MiB
    // chunks held until a garbage collection raised a busy ingest's peak memory by ~10 MiB.
    return createReadStream(this.blobPath(id), { ...range, highWaterMark: READ_CHUNK_BYTES });
  }

  /**
   * Like `read`, but a whole-file read is checked against `expected` as it streams: on a
   * mismatch `onMismatch` runs and the stream fails before its last chunk, so damaged bytes
   * never go out whole. A range cannot be checked and is read as is.
   */
  readVerified(
    expected: { id: string; sha256: string; size: number },
    range: { start: number; end: number } | undefined,
    onMismatch: () => void,
  ): Readable {
    const bytes = this.read(expected.id, range);
    if (range) return bytes;
    return pipeline(bytes, new VerifyingStream(expected, onMismatch), () => undefined);
  }

  /** Removes receipt first, then bytes, so a half-done removal never looks like a held file. */
  async remove(id: string): Promise<void> {
    await rm(this.recordPath(id), { force: true });
    await rm(this.blobPath(id), { force: true });
  }

  /** Every receipt in the store, read from the folder alone. */
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

/** The receipt for bytes in memory, once they pass `options`' checks (else it throws). */
function checkedReceipt(id: string, bytes: Buffer, options: PutOptions): BlobRecord {
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new TooLargeError(options.maxBytes);
  }
  const digest = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  checkDigest(digest, options);
  return receiptFor(id, digest, options);
}

/** The receipt of bytes just stored with this digest. */
function receiptFor(
  id: string,
  digest: { sha256: string; size: number },
  { name, contentType }: PutOptions,
): BlobRecord {
  return {
    id,
    sha256: digest.sha256,
    size: digest.size,
    storedAt: new Date().toISOString(),
    ...(name !== undefined ? { name } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

/** A receipt's text parsed and checked, or undefined when it is missing or not a receipt. */
function parseRecord(text: string | undefined): BlobRecord | undefined {
  if (text === undefined) return undefined;
  try {
    return BlobRecord.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}
