import { PassThrough, pipeline, type Readable } from 'node:stream';

/** A stream's bytes when it ended within the limit, else the whole stream again, unread. */
export type Head = { whole: true; bytes: Buffer } | { whole: false; stream: Readable };

/**
 * Reads `source` until it ends or passes `limit` bytes. A stream that ends within the limit is
 * answered as one buffer (a small file, stored as a row); a longer one as a stream that yields
 * the chunks already read and then the rest of `source` (a large file, streamed to disk), so a
 * writer need not know a body's length to choose where it goes. The rest is piped with
 * `pipeline`, so an error on either side reaches the other as it is: a full disk fails the
 * request's stream with ENOSPC, not with an abort of its own.
 */
export function readHead(source: Readable, limit: number): Promise<Head> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      source.pause();
      stop();
      const rest = new PassThrough();
      for (const read of chunks) rest.write(read);
      pipeline(source, rest, () => undefined);
      resolve({ whole: false, stream: rest });
    };
    const onEnd = () => {
      stop();
      resolve({
        whole: true,
        bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
      });
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    // Closed without an end or an error: the client went away.
    const onClose = () =>
      onError(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
}
