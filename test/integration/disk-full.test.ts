import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { type RunningIngest, startIngest } from '../../services/ingest/src/ingest-service.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { parseConfig } from '../../shared/src/config.ts';
import { silentLogger } from '../../shared/src/logger.ts';
import { StatusBody, sha256, uploadMultipart, uploadPut } from '../support/http.ts';
import { storeProblems } from '../support/store-check.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** A 6 MiB tmpfs as the data directory, so the disk really fills; needs root (tests run as root here). */
async function mountSmallDisk(dir: string): Promise<boolean> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir]);
    return true;
  } catch {
    return false;
  }
}

const root = await mkdtemp(join(tmpdir(), 'dfr-disk-full-'));
const dataDir = join(root, 'data');
await mkdir(dataDir);
const mounted = await mountSmallDisk(dataDir);
if (!mounted) {
  await rm(root, { recursive: true, force: true });
  const reason = 'cannot mount a tmpfs (not root?)';
  if (process.env.CI === 'true') throw new Error(`the disk-full test needs a tmpfs on CI: ${reason}`);
  console.warn(`\n${'!'.repeat(78)}\n!! DISK-FULL TEST SKIPPED: ${reason}\n${'!'.repeat(78)}\n`);
}

/** A full disk is the service's problem, not the client's: 503, nothing kept, and it recovers. */
describe.skipIf(!mounted)('a full data directory', () => {
  let ingest: RunningIngest;

  beforeAll(async () => {
    const env = parseConfig(IngestEnv, { DFR_PORT: '0', DFR_HOST: '127.0.0.1', DFR_DATA_DIR: dataDir });
    ingest = await startIngest(ingestConfig(env), new MemoryBroker(), silentLogger());
  });

  afterAll(async () => {
    await ingest?.stop();
    await run('umount', [dataDir]).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    { route: 'PUT', send: (bytes: Buffer) => uploadPut(ingest.url, 'big.bin', bytes) },
    { route: 'multipart', send: (bytes: Buffer) => uploadMultipart(ingest.url, 'big.bin', bytes) },
  ])('refuses an upload that does not fit by $route with 503 and keeps nothing of it', async ({ send }) => {
    const { response, body } = await send(randomBytes(8 * MiB));
    expect(response.status).toBe(503);
    expect(body).toEqual({ error: { code: 'STORAGE_UNAVAILABLE', message: expect.any(String) } });
    expect(await storeProblems(root, [dataDir])).toEqual([]);
  });

  it('takes the small uploads of a group that fit and refuses the others with 503', async () => {
    // Leave room for a few 4 KiB files (each needs a page for its bytes and one for its receipt).
    const filler = join(dataDir, 'filler');
    const { bavail, bsize } = await statfs(dataDir);
    await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 96 * 1024)));
    try {
      const files = Array.from({ length: 16 }, () => randomBytes(4096));
      // Sent together, so they reach the small-file writer in the same groups.
      const answers = await Promise.all(files.map((bytes, i) => uploadPut(ingest.url, `s${i}.bin`, bytes)));
      const statuses = answers.map(({ response }) => response.status);
      expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
      expect(statuses).toContain(503);
      expect(statuses).toContain(201);
      for (const [i, { response, body }] of answers.entries()) {
        if (response.status !== 201) continue;
        const back = await fetch(`${ingest.url}/files/${StatusBody.parse(body).id}`);
        expect(sha256(Buffer.from(await back.arrayBuffer()))).toBe(sha256(files[i] as Buffer));
      }
    } finally {
      await rm(filler, { force: true });
    }
    expect(await storeProblems(root, [dataDir])).toEqual([]);
  });

  it('still takes an upload that fits afterwards', async () => {
    const bytes = randomBytes(MiB);
    const { response, body } = await uploadPut(ingest.url, 'fits.bin', bytes);
    expect(response.status).toBe(201);
    expect(StatusBody.parse(body).sha256).toBe(sha256(bytes));
    const back = await fetch(`${ingest.url}/files/${StatusBody.parse(body).id}`);
    expect(sha256(Buffer.from(await back.arrayBuffer()))).toBe(sha256(bytes));
    expect(await storeProblems(root, [dataDir])).toEqual([]);
  });
});
