import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from './hashing-stream.ts';

/** SHA-256 and size of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hashing = new HashingStream();
  await pipeline(createReadStream(path), hashing, async (source) => {
    for await (const _ of source);
  });
  return hashing.digest();
}
