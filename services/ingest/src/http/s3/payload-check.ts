import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  type Checksum,
  type ChecksumAlgorithm,
  checkChecksumValue,
  checksumHeader,
  newChecksum,
} from './checksums.ts';
import { S3Error } from './s3-error.ts';

export interface PayloadExpectations {
  /** `x-amz-content-sha256` when it is a digest. */
  sha256Hex?: string | undefined;
  /** `Content-MD5`, base64. */
  contentMd5?: string | undefined;
  /** The flexible checksum to compute; `expected` is the header's value, or undefined when it comes in the trailer. */
  checksum?: { algorithm: ChecksumAlgorithm; expected: string | undefined } | undefined;
}

/**
 * Passes the payload through unchanged while computing what S3 promises about it: the MD5
 * (every object's ETag), and the SHA-256, Content-MD5 and flexible checksum the client sent,
 * each compared at the end. A mismatch fails the stream, so the upload reading it keeps nothing.
 * A checksum sent in the aws-chunked trailer arrives just before the end (`setTrailer`).
 */
export class PayloadCheck extends Transform {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | undefined;
  private readonly checksum: Checksum | undefined;
  private trailerValue: string | undefined;
  private md5Digest: Buffer | undefined;
  private checksumValue: string | undefined;
  private bytes = 0;

  constructor(private readonly expect: PayloadExpectations) {
    super();
    if (expect.sha256Hex) this.sha256 = createHash('sha256');
    if (expect.checksum) this.checksum = newChecksum(expect.checksum.algorithm);
  }

  /** The trailing headers of an aws-chunked body; called before this stream ends. */
  setTrailer(trailer: Map<string, string>): void {
    const algorithm = this.expect.checksum?.algorithm;
    for (const name of trailer.keys()) {
      if (name.startsWith('x-amz-checksum-') && (!algorithm || name !== checksumHeader(algorithm)))
        throw new S3Error('InvalidRequest', `The trailer ${name} was not declared in x-amz-trailer.`);
    }
    if (algorithm) this.trailerValue = trailer.get(checksumHeader(algorithm));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.verify().then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  private async verify(): Promise<void> {
    this.md5Digest = this.md5.digest();
    const { sha256Hex, contentMd5, checksum } = this.expect;
    if (sha256Hex && this.sha256?.digest('hex') !== sha256Hex)
      throw new S3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    if (contentMd5 !== undefined && this.md5Digest.toString('base64') !== contentMd5)
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    if (checksum && this.checksum) {
      this.checksumValue = await this.checksum.digest();
      const expected = checksum.expected ?? this.trailerValue;
      if (expected === undefined)
        throw new S3Error(
          'InvalidRequest',
          `The body ended without the trailer ${checksumHeader(checksum.algorithm)}.`,
        );
      checkChecksumValue(checksum.algorithm, expected);
      if (expected !== this.checksumValue)
        throw new S3Error(
          'BadDigest',
          `The ${checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        );
    }
  }

  /** Valid once the stream has ended: the payload's MD5, hex. */
  md5Hex(): string {
    if (!this.md5Digest) throw new Error('the payload has not ended');
    return this.md5Digest.toString('hex');
  }

  /** The verified flexible checksum, when one was sent. */
  verifiedChecksum(): { algorithm: ChecksumAlgorithm; value: string } | undefined {
    const algorithm = this.expect.checksum?.algorithm;
    return algorithm && this.checksumValue ? { algorithm, value: this.checksumValue } : undefined;
  }

  get size(): number {
    return this.bytes;
  }
}
