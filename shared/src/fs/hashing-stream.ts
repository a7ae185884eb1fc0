import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Thrown when more bytes arrive than allowed. */
export class TooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`more than ${limitBytes} bytes`);
    this.name = 'TooLargeError';
  }
}

/**
 * Passes chunks through unchanged while hashing and counting them, so the bytes are read once.
 * Fails the pipeline as soon as the byte count passes maxBytes.
 */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new TooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Valid once the stream has finished. */
  digest(): { sha256: string; size: number } {
    return { sha256: this.hash.digest('hex'), size: this.bytes };
  }
}
