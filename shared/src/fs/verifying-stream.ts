import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from './atomic-write.ts';

/**
 * Passes bytes through while hashing them, always holding back the latest chunk, and releases
 * that last chunk only if the whole stream matched the expected SHA-256 and size. A reader of a
 * damaged file therefore never receives a complete body: the stream fails one chunk short.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private held: Buffer | undefined;

  constructor(
    private readonly expected: { sha256: string; size: number },
    private readonly onMismatch: (actual: { sha256: string; size: number }) => void = () => undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const previous = this.held;
    this.held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    const actual = { sha256: this.hash.digest('hex'), size: this.bytes };
    if (actual.sha256 !== this.expected.sha256 || actual.size !== this.expected.size) {
      this.onMismatch(actual);
      callback(new IntegrityError(`bytes do not match SHA-256 ${this.expected.sha256}`));
      return;
    }
    callback(null, this.held);
  }
}
