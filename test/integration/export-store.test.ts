import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { anyKindDamage } from '../support/blob-damage.ts';
import { repoRoot } from '../support/processes.ts';

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Recovery by hand: `npm run export` writes a store's files, rows and plain files alike, as plain files. */
describe('npm run export', () => {
  let dir: string;
  let store: TieredBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-export-'));
    store = new TieredBlobStore(join(dir, 'node1'), { smallMaxBytes: 1024 });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports every verified copy with its receipt, reports a damaged one, and changes nothing', async () => {
    const files = [randomBytes(100), randomBytes(1024), randomBytes(5000), randomBytes(300)].map((bytes) => ({
      id: randomUUID(),
      bytes,
    }));
    for (const [i, file] of files.entries()) {
      await store.put(file.id, Readable.from([file.bytes]), { name: `file-${i}.bin` });
    }
    const [, , , damaged] = files as [
      (typeof files)[0],
      (typeof files)[0],
      (typeof files)[0],
      (typeof files)[0],
    ];
    await anyKindDamage(join(dir, 'node1')).corrupt(damaged.id);

    const out = join(dir, 'recovered');
    const result = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/export-store.ts', '--store', join(dir, 'node1'), '--out', out],
      { cwd: repoRoot },
    ).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect('code' in result ? result.code : 0).toBe(1);
    expect(result.stdout).toContain('exported 3 files (6124 bytes)');
    expect(result.stderr).toContain(`damaged, not exported: ${damaged.id}`);

    const good = files.filter((file) => file !== damaged);
    expect((await readdir(out)).sort()).toEqual(good.flatMap(({ id }) => [id, `${id}.json`]).sort());
    for (const file of good) {
      expect(await readFile(join(out, file.id))).toEqual(file.bytes);
      const receipt = JSON.parse(await readFile(join(out, `${file.id}.json`), 'utf8'));
      expect(receipt).toMatchObject({ id: file.id, sha256: sha256(file.bytes), size: file.bytes.length });
      expect(receipt.name).toMatch(/^file-\d\.bin$/);
    }
    // The store still holds what it held: an export only reads.
    expect(await store.verify(good[0]?.id ?? '')).toBe(true);
  });
});
