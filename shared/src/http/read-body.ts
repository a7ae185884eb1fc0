import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TooLargeError } from '../fs/hashing-stream.ts';

/**
 * Reads a small request body into memory, through the same `pipeline` a streamed upload uses,
 * so a client that goes away fails it with the same errors. Fails with TooLargeError past maxBytes.
 */
export async function readBody(source: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await pipeline(
    source,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) {
          done(new TooLargeError(maxBytes));
          return;
        }
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks, size);
}
