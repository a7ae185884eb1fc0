import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './s3-error.ts';
import { chunkStringToSign, sha256Hex, sign, signaturesEqual, trailerStringToSign } from './sigv4/signing.ts';
import type { ChunkSigning } from './sigv4/verify-request.ts';

export interface AwsChunkedOptions {
  /** The `-TRAILER` modes: trailing headers follow the zero-size chunk. */
  trailer: boolean;
  /** Set for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`: every chunk's signature is checked. */
  signing?: ChunkSigning | undefined;
  /** `x-amz-decoded-content-length`, checked against the payload when given. */
  decodedLength?: number | undefined;
  /** Called with the trailing headers (`x-amz-checksum-crc32`, ...) before the stream ends. */
  onTrailer?: (trailer: Map<string, string>) => void;
}

/** A chunk header line (`<hex size>;chunk-signature=<64 hex>`) is never longer than this. */
const MAX_LINE_BYTES = 4096;
/** The trailing headers of one body, all together. */
const MAX_TRAILER_BYTES = 16 * 1024;

type State = 'size' | 'data' | 'data-end' | 'final' | 'trailer' | 'done';

/**
 * Decodes an `aws-chunked` body as it streams: `<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n`
 * repeated, then a zero-size chunk and, in the trailer modes, `name:value\r\n` lines (the
 * checksum, and `x-amz-trailer-signature` when signed) ended by an empty line. Only the payload
 * comes out, so what is stored is what the client meant; memory holds at most one header line.
 *
 * A signed chunk is passed on before its signature can be checked (its end may be gigabytes
 * away); a bad signature fails the stream, and the upload behind it keeps nothing, as it does
 * for every failed stream.
 */
export class AwsChunkedDecoder extends Transform {
  private state: State = 'size';
  private line: Buffer[] = [];
  private lineBytes = 0;
  private remaining = 0;
  private chunkSignature = '';
  private chunkHash: Hash | undefined;
  private previousSignature: string;
  private decoded = 0;
  private readonly trailer = new Map<string, string>();
  private trailerLines: string[] = [];
  private trailerBytes = 0;
  private trailerSigned = false;

  constructor(private readonly options: AwsChunkedOptions) {
    super();
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // A body may end right after the last trailer line, without the empty line.
    if ((this.state === 'trailer' || this.state === 'final') && this.lineBytes === 0) this.state = 'done';
    if (this.state !== 'done') {
      callback(new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.'));
      return;
    }
    if (this.options.signing && this.options.trailer && !this.trailerSigned) {
      callback(
        new S3Error('SignatureDoesNotMatch', 'The trailer of a signed aws-chunked body must be signed.'),
      );
      return;
    }
    const expected = this.options.decodedLength;
    if (expected !== undefined && expected !== this.decoded) {
      callback(
        new S3Error(
          'IncompleteBody',
          `The payload is ${this.decoded} bytes, but x-amz-decoded-content-length said ${expected}.`,
        ),
      );
      return;
    }
    try {
      this.options.onTrailer?.(this.trailer);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, chunk.length - at);
          const data = chunk.subarray(at, at + take);
          this.chunkHash?.update(data);
          this.decoded += take;
          if (this.options.decodedLength !== undefined && this.decoded > this.options.decodedLength)
            throw new S3Error('IncompleteBody', 'The payload is longer than x-amz-decoded-content-length.');
          this.push(data);
          this.remaining -= take;
          at += take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'done':
          // Whitespace after the end is tolerated; anything else is a framing error.
          if (chunk[at] !== 0x0d && chunk[at] !== 0x0a) throw malformed('data after the final chunk');
          at += 1;
          break;
        default: {
          const end = this.readLine(chunk, at);
          if (end < 0) return;
          at = end;
        }
      }
    }
  }

  /** Collects a CRLF-terminated line from `at`; handles it when complete. Returns where reading goes on, or -1. */
  private readLine(chunk: Buffer, at: number): number {
    const newline = chunk.indexOf(0x0a, at);
    const piece = chunk.subarray(at, newline < 0 ? chunk.length : newline + 1);
    this.lineBytes += piece.length;
    if (this.lineBytes > MAX_LINE_BYTES) throw malformed('a chunk header or trailer line is too long');
    this.line.push(piece);
    if (newline < 0) return -1;
    const text = Buffer.concat(this.line).toString('latin1');
    this.line = [];
    this.lineBytes = 0;
    if (!text.endsWith('\r\n')) throw malformed('lines must end with CRLF');
    this.handleLine(text.slice(0, -2));
    return newline + 1;
  }

  private handleLine(line: string): void {
    switch (this.state) {
      case 'size':
        this.startChunk(line);
        return;
      case 'data-end':
        if (line !== '') throw malformed('a chunk is longer than its declared size');
        this.checkChunkSignature();
        this.state = 'size';
        return;
      case 'final':
        if (line !== '') throw malformed('data after the final chunk');
        this.state = 'done';
        return;
      case 'trailer':
        this.trailerLine(line);
        return;
      default:
        throw malformed('unexpected line');
    }
  }

  private startChunk(line: string): void {
    const [sizeText = '', ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) throw malformed(`bad chunk size "${sizeText.slice(0, 20)}"`);
    this.remaining = Number.parseInt(sizeText, 16);
    this.chunkSignature = '';
    for (const extension of extensions) {
      const [name, value = ''] = extension.split('=');
      if (name?.trim() === 'chunk-signature') this.chunkSignature = value.trim();
    }
    if (this.options.signing) {
      if (!this.chunkSignature) throw malformed('a signed chunk has no chunk-signature');
      this.chunkHash = createHash('sha256');
    }
    if (this.remaining > 0) {
      this.state = 'data';
      return;
    }
    // The zero-size chunk: signed like any other, then the trailer or the closing empty line.
    this.checkChunkSignature();
    this.state = this.options.trailer ? 'trailer' : 'final';
  }

  private checkChunkSignature(): void {
    const signing = this.options.signing;
    if (!signing || !this.chunkHash) return;
    const digest = this.chunkHash.digest('hex');
    this.chunkHash = undefined;
    const expected = sign(
      signing.signingKey,
      chunkStringToSign(signing.amzDate, signing.scope, this.previousSignature, digest),
    );
    if (!signaturesEqual(expected, this.chunkSignature))
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The chunk signature we calculated does not match the one provided.',
      );
    this.previousSignature = expected;
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.state = 'done';
      return;
    }
    this.trailerBytes += line.length;
    if (this.trailerBytes > MAX_TRAILER_BYTES) throw malformed('the trailer is too long');
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a trailer line is not name:value');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') this.checkTrailerSignature(value);
    else {
      this.trailer.set(name, value);
      this.trailerLines.push(`${name}:${value}\n`);
    }
  }

  private checkTrailerSignature(signature: string): void {
    const signing = this.options.signing;
    if (!signing) return;
    const expected = sign(
      signing.signingKey,
      trailerStringToSign(
        signing.amzDate,
        signing.scope,
        this.previousSignature,
        sha256Hex(this.trailerLines.join('')),
      ),
    );
    if (!signaturesEqual(expected, signature))
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The trailer signature we calculated does not match the one provided.',
      );
    this.trailerSigned = true;
  }
}

function malformed(what: string): S3Error {
  return new S3Error('InvalidRequest', `Malformed aws-chunked body: ${what}.`);
}
