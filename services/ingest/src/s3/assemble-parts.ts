import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { UploadPart } from './s3-catalog.ts';

/** A part's file no longer holds what was uploaded as that part. */
export class PartDamagedError extends Error {
  constructor(partNumber: number) {
    super(`part ${partNumber} changed since it was uploaded`);
    this.name = 'PartDamagedError';
  }
}

/** Where a part's bytes are read from (ClusterParts: here, or the instance holding it). */
export interface PartSource {
  open(part: UploadPart): Promise<Readable>;
}

/**
 * The parts of an upload, in order, as one stream, each part's MD5 checked against the ETag it
 * was given on upload (a damaged part fails the stream and the upload reading it keeps nothing).
 *
 * Cost: memory holds one read chunk (64 KiB) per stage of the pipeline, whatever the size; disk
 * holds the object twice for as long as the completion takes (the parts, and the file being
 * written from them), and the parts go once the object is committed.
 */
export function assembleParts(source: PartSource, parts: readonly UploadPart[]): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      const md5 = createHash('md5');
      for await (const chunk of await source.open(part)) {
        md5.update(chunk as Buffer);
        yield chunk as Buffer;
      }
      if (md5.digest('hex') !== part.etag) throw new PartDamagedError(part.partNumber);
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, a dash, the part count. */
export function multipartEtag(parts: readonly { etag: string }[]): string {
  const md5 = createHash('md5');
  for (const part of parts) md5.update(Buffer.from(part.etag, 'hex'));
  return `${md5.digest('hex')}-${parts.length}`;
}
