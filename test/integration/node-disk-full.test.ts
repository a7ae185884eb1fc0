import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import { sha256 } from '../support/http.ts';
import { type ReplicatorNode, startReplicatorNode } from '../support/replicator-node.ts';
import { storeProblems } from '../support/store-check.ts';
import { waitFor } from '../support/wait-for.ts';

const run = promisify(execFile);
const KiB = 1024;
const DELIVERY_LIMIT = 3;

const root = await mkdtemp(join(tmpdir(), 'dfr-node-disk-full-'));
const storeDir = join(root, 'store');
await mkdir(storeDir);
/** A 1 MiB tmpfs as the node's store, so its disk really fills; needs root (tests run as root here). */
const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', storeDir]).then(
  () => true,
  () => false,
);
if (!mounted) {
  await rm(root, { recursive: true, force: true });
  const reason = 'cannot mount a tmpfs (not root?)';
  if (process.env.CI === 'true') throw new Error(`the node disk-full test needs a tmpfs on CI: ${reason}`);
  console.warn(`\n${'!'.repeat(78)}\n!! NODE DISK-FULL TEST SKIPPED: ${reason}\n${'!'.repeat(78)}\n`);
}

/**
 * A node whose store is full: what fits is stored and counted, what does not is retried and then
 * reported failed, and the store keeps no partial file either way.
 */
describe.skipIf(!mounted)('a full node store', () => {
  let node: ReplicatorNode;
  let store: TieredBlobStore;
  let source: Server;
  let sourceUrl: string;
  let served: Buffer = Buffer.alloc(0);

  beforeAll(async () => {
    source = createServer((_req, res) => res.writeHead(200, { 'content-length': served.length }).end(served));
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/blob`;
  });

  beforeEach(async () => {
    for (const name of ['blobs', 'small.db', 'small.db-wal', 'small.db-shm']) {
      await rm(join(storeDir, name), { recursive: true, force: true });
    }
    store = new TieredBlobStore(storeDir);
    await store.open();
    node = await startReplicatorNode(store, DELIVERY_LIMIT);
    return async () => {
      await node.close();
      await store.close();
    };
  });

  afterAll(async () => {
    await new Promise((resolve) => source?.close(resolve));
    await run('umount', [storeDir]).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  const send = (message: object) => node.send(message);
  const failedIds = () => node.events.flatMap((e) => (e.type === 'ReplicaFailed' ? [e.fileId] : []));
  const storedIds = () =>
    new Set(
      node.events.flatMap((e) =>
        e.type === 'ReplicasStored'
          ? e.replicas.map((r) => r.fileId)
          : e.type === 'ReplicaStored'
            ? [e.fileId]
            : [],
      ),
    );

  it('stores the files of a batch that fit, reports the others failed, and keeps nothing partial', async () => {
    const files = Array.from({ length: 5 }, () => randomBytes(300 * KiB)).map((bytes) => ({
      fileId: randomUUID(),
      size: bytes.length,
      sha256: sha256(bytes),
      content: bytes.toString('base64'),
    }));
    await send({ type: 'ReplicateFiles', version: 1, node: 'n1', files });
    await waitFor(() => failedIds().length > 0, 10_000, 'ReplicaFailed');

    const stored = storedIds();
    const failed = new Set(failedIds());
    expect(stored.size).toBeGreaterThan(0);
    expect(failed.size).toBeGreaterThan(0);
    expect(stored.size + failed.size).toBe(files.length);
    for (const file of files) {
      if (stored.has(file.fileId)) expect(await store.verify(file.fileId)).toBe(true);
      else expect(await store.get(file.fileId)).toBeUndefined();
    }
    expect(await storeProblems(root, [storeDir])).toEqual([]);
  });

  it('retries a pulled copy that does not fit, then reports it failed, with nothing left of it', async () => {
    served = randomBytes(2048 * KiB);
    const fileId = randomUUID();
    await send({
      type: 'ReplicateFile',
      version: 1,
      fileId,
      node: 'n1',
      size: served.length,
      sha256: sha256(served),
      sourceUrl,
    });
    await waitFor(() => failedIds().includes(fileId), 10_000, 'ReplicaFailed');
    expect(storedIds().has(fileId)).toBe(false);
    expect(await store.get(fileId)).toBeUndefined();
    expect(await storeProblems(root, [storeDir])).toEqual([]);
  });
});
