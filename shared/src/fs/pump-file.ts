import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

const CHUNK_BYTES = 1024 * 1024;

/**
 * Writes bytes [start, end] of a file to `out` (an HTTP response) through two reused buffers:
 * one is read into while the other is being written. A read stream allocates a new buffer for
 * every chunk instead; serving a 1 GiB file to three nodes that way churned 3 GiB through the
 * garbage collector and made ingest the slowest part of a large replication. A buffer is
 * reused only after `out` reports its write done, so no byte is overwritten while queued.
 * Does not end `out`. Rejects if `out` closes first or the file is shorter than the range.
 */
export async function pumpFile(
  path: string,
  range: { start: number; end: number },
  out: Writable,
): Promise<void> {
  const handle = await open(path, 'r');
  const closed = once(out, 'close').then(() => {
    throw new Error('the receiver went away');
  });
  closed.catch(() => undefined);
  try {
    const buffers = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)];
    let writing: Promise<void> = Promise.resolve();
    let position = range.start;
    for (let turn = 0; position <= range.end; turn++) {
      const buffer = buffers[turn % 2] as Buffer;
      const length = Math.min(CHUNK_BYTES, range.end - position + 1);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${position}, before ${range.end + 1}`);
      // The other buffer's write must be done before this one goes out and that one is read into.
      await Promise.race([writing, closed]);
      writing = write(out, buffer.subarray(0, bytesRead));
      // A failed write is seen at the next await; until then it must not count as unhandled
      // (Node would end the process), since the next read may still be under way.
      writing.catch(() => undefined);
      position += bytesRead;
    }
    await Promise.race([writing, closed]);
  } finally {
    await handle.close();
  }
}

function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
