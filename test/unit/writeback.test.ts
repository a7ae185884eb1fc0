import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { Writeback } from '../../shared/src/fs/writeback.ts';

/** A file handle whose datasync calls the test counts and finishes when it says so. */
function fakeFile() {
  const pending: (() => void)[] = [];
  let calls = 0;
  return {
    handle: {
      datasync: () => {
        calls += 1;
        return new Promise<void>((resolve) => pending.push(resolve));
      },
    },
    calls: () => calls,
    finishAll: () => {
      for (const finish of pending.splice(0)) finish();
    },
  };
}

const chunks = (count: number, size: number) =>
  Array.from({ length: count }, (_, i) => Buffer.alloc(size, i));

/** The chunks one per turn of the event loop, as a socket delivers them. */
function arriving(input: Buffer[]): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of input) {
        await new Promise((resolve) => setImmediate(resolve));
        yield chunk;
      }
    })(),
  );
}

async function collect(source: Readable, writeback: Writeback): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  await pipeline(source, writeback, sink);
  return Buffer.concat(out);
}

describe('Writeback', () => {
  it('passes every byte through unchanged and asks for a write-back once per threshold', async () => {
    let calls = 0;
    const instant = {
      datasync: async () => {
        calls += 1;
      },
    };
    const input = chunks(10, 100);
    expect(await collect(arriving(input), new Writeback(instant, 250))).toEqual(Buffer.concat(input));
    expect(calls).toBe(3); // at 300, 600 and 900 bytes
  });

  it('never has two requests under way, and ends only after the last one finished', async () => {
    const file = fakeFile();
    const writeback = new Writeback(file.handle, 100);
    let ended = false;
    const done = collect(arriving(chunks(8, 100)), writeback).then((bytes) => {
      ended = true;
      return bytes;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(file.calls()).toBe(1);
    expect(ended).toBe(false);
    // Chunks that arrive after the first write-back finished start the next one (more of them on
    // a loaded machine): finish each as it comes, until the stream ends.
    const finisher = setInterval(file.finishAll, 5);
    file.finishAll();
    const bytes = await done.finally(() => clearInterval(finisher));
    expect(bytes.length).toBe(800);
    expect(ended).toBe(true);
  });

  it('asks for nothing when the file stays under the threshold', async () => {
    const file = fakeFile();
    expect((await collect(Readable.from(chunks(3, 10)), new Writeback(file.handle, 100))).length).toBe(30);
    expect(file.calls()).toBe(0);
  });
});
