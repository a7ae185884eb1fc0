import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pumpFile } from '../../shared/src/fs/pump-file.ts';

const MiB = 1024 * 1024;

/** A writable that acknowledges each write late, as a slow socket does, and keeps copies. */
function slowSink(): Writable & { bytes(): Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      parts.push(Buffer.from(chunk)); // a copy: the pump reuses its buffers
      setTimeout(done, 1);
    },
  });
  return Object.assign(sink, { bytes: () => Buffer.concat(parts) });
}

describe('pumpFile', () => {
  let dir = '';
  let path = '';
  const content = randomBytes(5 * MiB + 12_345);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-pump-'));
    path = join(dir, 'blob');
    await writeFile(path, content);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['the whole file', 0, 5 * MiB + 12_344],
    ['a range across buffer boundaries', MiB - 3, 3 * MiB + 7],
    ['one byte', 4242, 4242],
  ])('writes %s, byte for byte, through reused buffers', async (_what, start, end) => {
    const sink = slowSink();
    await pumpFile(path, { start, end }, sink);
    expect(sink.bytes().equals(content.subarray(start, end + 1))).toBe(true);
  });

  it('fails when the file is shorter than the range', async () => {
    await expect(
      pumpFile(path, { start: 0, end: content.length }, new PassThrough().resume()),
    ).rejects.toThrow(/ended/);
  });

  it('fails, and stops reading, when the receiver goes away', async () => {
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        setTimeout(done, 50);
      },
    });
    const pumping = pumpFile(path, { start: 0, end: content.length - 1 }, sink);
    setTimeout(() => sink.destroy(), 10);
    await expect(pumping).rejects.toThrow();
  });
});

describe('pumpFile when the receiver fails a write', () => {
  it('rejects with that error while the next read is under way, and leaves nothing unhandled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfr-pump-fail-'));
    const path = join(dir, 'blob');
    await writeFile(path, randomBytes(4 * MiB));
    let writes = 0;
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        writes += 1;
        // The first write fails at once, so it settles while the pump reads its next chunk.
        if (writes === 1) done(new Error('connection reset by peer'));
        else done();
      },
    });
    sink.on('error', () => undefined);
    try {
      await expect(pumpFile(path, { start: 0, end: 4 * MiB - 1 }, sink)).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
