import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Batcher } from '../batcher.ts';
import type { BlobRecord, BlobStore, ByteRange, BytesToPut, Digest, PutOptions } from './blob-store.ts';
import { TooLargeError } from './hashing-stream.ts';
import { LostNotes } from './lost-notes.ts';
import { PlainFileBlobs } from './plain-file-blobs.ts';
import { readHead } from './read-head.ts';
import { SmallBlobTable } from './small-blob-table.ts';
import { ownTmpFolderName, STALE_TMP_MS, sweepTemporaryFolders } from './temporary-folders.ts';

/** The default small-file threshold (DFR_INLINE_MAX_BYTES). */
export const DEFAULT_SMALL_MAX_BYTES = 64 * 1024;

/** Up to 256 small files or 8 MiB per transaction. */
const SMALL_GROUP_LIMITS = { maxItems: 256, maxBytes: 8 * 1024 * 1024, maxInFlight: 1 };

/**
 * A store that keeps each blob as the kind that suits its size: up to `smallMaxBytes` a row of
 * the store's small-file table (`small.db`), written in groups, one transaction and one fsync
 * per group; anything larger a plain file under `blobs/`. Callers never choose: `put` reads up
 * to the threshold before it knows which a body is, and every read finds a blob wherever it is
 * (a store written before the table existed keeps its small files as plain files, and they
 * stay readable). Temporary files live in `.tmp/<writer>/` and are swept at start.
 */
export class TieredBlobStore implements BlobStore {
  /** This process's own folder for temporary files, inside `.tmp/`. */
  readonly tmpDir: string;
  readonly smallMaxBytes: number;
  private readonly tmpRoot: string;
  private readonly plain: PlainFileBlobs;
  private readonly table: SmallBlobTable;
  private readonly lostNotes: LostNotes;
  private readonly smallGroups: Batcher<BytesToPut, BlobRecord | Error>;

  constructor(
    readonly root: string,
    options: { smallMaxBytes?: number } = {},
  ) {
    this.smallMaxBytes = options.smallMaxBytes ?? DEFAULT_SMALL_MAX_BYTES;
    this.tmpRoot = join(root, '.tmp');
    this.tmpDir = join(this.tmpRoot, ownTmpFolderName());
    this.plain = new PlainFileBlobs(root, this.tmpDir);
    this.table = new SmallBlobTable(join(root, 'small.db'));
    this.lostNotes = new LostNotes(root, this.tmpDir);
    this.smallGroups = new Batcher(
      async (_key, files) => {
        const outcomes = this.table.putMany(files);
        await this.forgetLostOf(outcomes);
        return outcomes;
      },
      SMALL_GROUP_LIMITS,
      ({ bytes }) => bytes.length,
    );
  }

  async open(): Promise<void> {
    await this.plain.open();
    await mkdir(this.tmpDir, { recursive: true });
    await this.sweepTemporary(STALE_TMP_MS);
    this.table.open();
  }

  async close(): Promise<void> {
    this.table.close();
  }

  /** Removes what dead writers left in `.tmp/` (see temporary-folders.ts). */
  sweepTemporary(olderThanMs: number): Promise<number> {
    return sweepTemporaryFolders(this.tmpRoot, this.tmpDir, olderThanMs);
  }

  async put(id: string, source: Readable, options: PutOptions = {}): Promise<BlobRecord> {
    if (this.smallMaxBytes === 0) return this.stored(await this.plain.put(id, source, options));
    const head = await readHead(source, this.smallMaxBytes);
    if (head.whole) return this.putSmall({ id, bytes: head.bytes, options });
    const record = await this.plain.put(id, head.stream, options);
    this.table.remove(id);
    return this.stored(record);
  }

  async putMany(files: readonly BytesToPut[]): Promise<(BlobRecord | Error)[]> {
    const small = files.filter((file) => this.isSmall(file.bytes.length));
    const large = files.filter((file) => !this.isSmall(file.bytes.length));
    const outcomes = new Map<BytesToPut, BlobRecord | Error>();
    const smallOutcomes = small.length > 0 ? this.table.putMany(small) : [];
    for (const [i, file] of small.entries()) outcomes.set(file, smallOutcomes[i] as BlobRecord | Error);
    const largeOutcomes = await this.plain.putMany(large);
    for (const [i, file] of large.entries()) outcomes.set(file, largeOutcomes[i] as BlobRecord | Error);
    const ordered = files.map((file) => outcomes.get(file) as BlobRecord | Error);
    await this.forgetLostOf(ordered);
    return ordered;
  }

  async adopt(
    id: string,
    path: string,
    options: PutOptions & { digest?: Digest | undefined } = {},
  ): Promise<BlobRecord> {
    const size = (await stat(path)).size;
    if (!this.isSmall(size)) return this.stored(await this.plain.adopt(id, path, options));
    if (options.maxBytes !== undefined && size > options.maxBytes) throw new TooLargeError(options.maxBytes);
    return this.putSmall({ id, bytes: await readFile(path), options });
  }

  async get(id: string): Promise<BlobRecord | undefined> {
    return this.table.get(id) ?? this.plain.get(id);
  }

  async verify(id: string): Promise<boolean> {
    return this.table.verify(id) ?? this.plain.verify(id);
  }

  read(id: string, range?: ByteRange): Readable {
    return this.table.read(id, range) ?? this.plain.read(id, range);
  }

  readVerified(
    expected: { id: string; sha256: string; size: number },
    range: ByteRange | undefined,
    onMismatch: () => void,
  ): Readable {
    return (
      this.table.readVerified(expected, range, onMismatch) ??
      this.plain.readVerified(expected, range, onMismatch)
    );
  }

  /** A small blob's bytes, or a plain file's when it is no larger: what a command carries inline. */
  async bytesOf(id: string): Promise<Buffer | undefined> {
    return this.table.bytes(id) ?? readFile(this.plain.path(id)).catch(() => undefined);
  }

  /** Where a blob kept as a plain file is, for readers that stream files themselves; else undefined. */
  plainPath(id: string): string | undefined {
    return this.table.has(id) ? undefined : this.plain.path(id);
  }

  async remove(id: string): Promise<void> {
    this.table.remove(id);
    await this.plain.remove(id);
  }

  async *list(): AsyncGenerator<BlobRecord> {
    yield* this.table.list();
    yield* this.plain.list();
  }

  async markLost(id: string, reason: string): Promise<void> {
    await this.lostNotes.note(id, reason);
    await this.remove(id);
  }

  lost(): Promise<{ id: string; reason: string }[]> {
    return this.lostNotes.list();
  }

  forgetLost(id: string): Promise<void> {
    return this.lostNotes.forget(id);
  }

  private isSmall(size: number): boolean {
    return size <= this.smallMaxBytes && this.smallMaxBytes > 0;
  }

  /** Stores one small file with the others of the moment, in one transaction. */
  private async putSmall(file: BytesToPut): Promise<BlobRecord> {
    const outcome = await this.smallGroups.add('small', file);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /** A new copy clears the note of an earlier one lost. */
  private async stored(record: BlobRecord): Promise<BlobRecord> {
    await this.forgetLostOf([record]);
    return record;
  }

  private async forgetLostOf(outcomes: readonly (BlobRecord | Error)[]): Promise<void> {
    const ids = outcomes.flatMap((outcome) => (outcome instanceof Error ? [] : [outcome.id]));
    await this.lostNotes.forgetAmong(ids);
  }
}
