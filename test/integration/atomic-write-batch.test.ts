import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeEntriesAtomically } from '../../shared/src/fs/atomic-write-batch.ts';

/** Whether anything is at path. */
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('writeEntriesAtomically', () => {
  let root: string;
  let tmpDir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfr-atomic-write-batch-'));
    tmpDir = join(root, 'tmp');
    await mkdir(tmpDir);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('puts every file of every entry in place with its bytes, creating directories', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const outcomes = await writeEntriesAtomically(
      [
        [
          { target: join(root, 'a', 'blob'), data: bytes },
          { target: join(root, 'a', 'blob.json'), data: '{"a":1}' },
        ],
        [{ target: join(root, 'b', 'deep', 'blob'), data: 'second entry' }],
      ],
      tmpDir,
    );
    expect(outcomes).toEqual([undefined, undefined]);
    expect(await readFile(join(root, 'a', 'blob'))).toEqual(bytes);
    expect(await readFile(join(root, 'a', 'blob.json'), 'utf8')).toBe('{"a":1}');
    expect(await readFile(join(root, 'b', 'deep', 'blob'), 'utf8')).toBe('second entry');
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('replaces an existing file', async () => {
    const target = join(root, 'file');
    await writeFile(target, 'old contents, longer than the new');
    expect(await writeEntriesAtomically([[{ target, data: 'new' }]], tmpDir)).toEqual([undefined]);
    expect(await readFile(target, 'utf8')).toBe('new');
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('fails an entry whose second file cannot land as a whole, and only that entry', async () => {
    // A regular file where the second file's directory would have to be: mkdir fails.
    const notADirectory = join(root, 'not-a-directory');
    await writeFile(notADirectory, 'a regular file');
    const before = join(root, 'before');
    const firstOfBad = join(root, 'bad', 'blob');
    const secondOfBad = join(notADirectory, 'blob.json');
    const after = join(root, 'after');

    const outcomes = await writeEntriesAtomically(
      [
        [{ target: before, data: 'before' }],
        [
          { target: firstOfBad, data: 'bytes' },
          { target: secondOfBad, data: 'receipt' },
        ],
        [{ target: after, data: 'after' }],
      ],
      tmpDir,
    );

    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(outcomes[2]).toBeUndefined();
    expect(await readFile(before, 'utf8')).toBe('before');
    expect(await readFile(after, 'utf8')).toBe('after');
    expect(await exists(secondOfBad)).toBe(false);
    expect(await exists(firstOfBad)).toBe(false);
    expect(await readFile(notADirectory, 'utf8')).toBe('a regular file');
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('fails an entry whose temporary file cannot be written, leaving nothing of it', async () => {
    const target = join(root, 'x');
    const outcomes = await writeEntriesAtomically([[{ target, data: 'x' }]], join(root, 'no-such-tmp-dir'));
    expect(outcomes[0]).toBeInstanceOf(Error);
    expect(await exists(target)).toBe(false);
  });

  it('succeeds at once for an entry with no files, and for no entries', async () => {
    const target = join(root, 'one');
    expect(await writeEntriesAtomically([[], [{ target, data: '1' }], []], tmpDir)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(await readFile(target, 'utf8')).toBe('1');
    expect(await writeEntriesAtomically([], tmpDir)).toEqual([]);
    expect(await readdir(tmpDir)).toEqual([]);
  });
});
