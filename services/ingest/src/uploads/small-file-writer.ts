import { Batcher } from '../../../../shared/src/batcher.ts';
import type { BlobRecord, BlobStore, PutOptions } from '../../../../shared/src/fs/blob-store.ts';

/**
 * Up to 64 files per group; two groups on the disk at once, so a file that arrives while one
 * group waits on its fsyncs joins the next instead of waiting for the whole of it.
 */
const GROUP_LIMITS = { maxItems: 64, maxBytes: 4 * 1024 * 1024, maxInFlight: 2 };

interface SmallFile {
  id: string;
  bytes: Buffer;
  options: PutOptions;
}

/**
 * Stores uploads whose bytes are already in memory in groups, through `BlobStore.putBytesMany`:
 * the files that arrive in the same turn of the event loop share one round of fsyncs, issued
 * together on libuv's threads, instead of three synchronous fsyncs each on the event loop.
 * Durability per file is that of `BlobStore.putBytes`.
 */
export class SmallFileWriter {
  private readonly groups: Batcher<SmallFile, BlobRecord | Error>;

  constructor(blobs: BlobStore) {
    this.groups = new Batcher(
      (_key, files) => blobs.putBytesMany(files),
      GROUP_LIMITS,
      ({ bytes }) => bytes.length,
    );
  }

  /** Resolves with the receipt once the file is durable; rejects as `BlobStore.putBytes` throws. */
  async put(id: string, bytes: Buffer, options: PutOptions = {}): Promise<BlobRecord> {
    const outcome = await this.groups.add('blobs', { id, bytes, options });
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
}
