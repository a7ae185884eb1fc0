import type { FileHandle } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

/** How much may be written before the next early write-back is asked for. */
export const WRITEBACK_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Passes chunks through to `file` and, every `everyBytes`, asks the disk to start writing what
 * has been written so far (an fdatasync on libuv's threads, not waited for by the stream). A large
 * file then reaches the disk while it is still arriving, instead of all at once in the final
 * fsync. Ends only after its last such request, so none outlives the file descriptor.
 */
export class Writeback extends Transform {
  private passed = 0;
  private requestedAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly file: Pick<FileHandle, 'datasync'>,
    private readonly everyBytes = WRITEBACK_EVERY_BYTES,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.passed += chunk.length;
    if (!this.inFlight && this.passed - this.requestedAt >= this.everyBytes) {
      this.requestedAt = this.passed;
      // A failure here is not the file's: the final fsync reports any real write error.
      this.inFlight = this.file
        .datasync()
        .catch(() => undefined)
        .then(() => {
          this.inFlight = undefined;
        });
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.inFlight) void this.inFlight.then(() => callback());
    else callback();
  }
}
