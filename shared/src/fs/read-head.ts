import { Readable } from 'node:stream';

/** A stream's bytes when it ended within the limit, else the whole stream again, unread. */
export type Head = { whole: true; bytes: Buffer } | { whole: false; stream: Readable };

/**
 * Reads `source` until it ends or passes `limit` bytes. A stream that ends within the limit is
 * answered as one buffer (a small file, stored as a row); a longer one as a stream that yields
 * the chunks already read and then the rest of `source` (a large file, streamed to disk), so a
 * writer need not know a body's length to choose where it goes. Destroying the returned stream
 * destroys `source`; an error of `source` fails it.
 */
export async function readHead(source: Readable, limit: number): Promise<Head> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (size <= limit) {
    const next = await iterator.next();
    if (next.done)
      return {
        whole: true,
        bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
      };
    chunks.push(next.value);
    size += next.value.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* chunks;
      chunks.length = 0;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { whole: false, stream: Readable.from(replay(), { objectMode: false }) };
}
