import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TieredBlobStore } from '../../shared/src/fs/tiered-blob-store.ts';
import type { ClusterEvent } from '../../shared/src/messages/index.ts';
import { sha256 } from '../support/http.ts';
import { freePort } from '../support/private-rabbit.ts';
import { type ReplicatorNode, startReplicatorNode } from '../support/replicator-node.ts';
import { sleep, waitFor } from '../support/wait-for.ts';

const DELIVERY_LIMIT = 3;

/** A node's command handling against a real HTTP source and a real store, on the embedded broker. */
describe('Replicator: retries, failures and idempotence', () => {
  let node: ReplicatorNode;
  let dir: string;
  let store: TieredBlobStore;
  let events: ClusterEvent[];
  let source: Server;
  let sourceUrl: string;
  let sourceRequests: number;
  /** What the source answers: the bytes, or a status code. */
  let serve: Buffer | number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-replicator-'));
    store = new TieredBlobStore(dir);
    await store.open();
    sourceRequests = 0;
    serve = Buffer.from('the bytes');
    source = createServer((_req, res) => {
      sourceRequests += 1;
      if (typeof serve === 'number') res.writeHead(serve).end();
      else res.writeHead(200, { 'content-length': serve.length }).end(serve);
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/blob`;
    node = await startReplicatorNode(store, DELIVERY_LIMIT);
    events = node.events;
  });

  afterEach(async () => {
    await node.close();
    await new Promise((resolve) => source.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const command = (bytes: Buffer, url = sourceUrl) => ({
    type: 'ReplicateFile',
    version: 1,
    fileId: randomUUID(),
    node: 'n1',
    size: bytes.length,
    sha256: sha256(bytes),
    sourceUrl: url,
  });
  const send = (message: object) => node.send(message);
  const storeFiles = async () =>
    (await readdir(dir, { recursive: true })).filter((f) => /\.(part|json)$|[0-9a-f-]{36}$/.test(String(f)));

  it('stores a verified copy and reports it once; a duplicate command only re-reports it', async () => {
    const bytes = serve as Buffer;
    const message = command(bytes);
    await send(message);
    await waitFor(() => events.length === 1, 5_000, 'ReplicaStored');
    expect(events[0]).toMatchObject({ type: 'ReplicaStored', fileId: message.fileId, sha256: sha256(bytes) });
    await send(message);
    await waitFor(() => events.length === 2, 5_000, 'the second ReplicaStored');
    expect(sourceRequests).toBe(1);
    expect(await store.verify(message.fileId)).toBe(true);
  });

  it('pulls a file whose ReplicateFile from an older ingest carries its bytes inside (a rolling upgrade)', async () => {
    const bytes = serve as Buffer;
    const legacy = { ...command(bytes), content: Buffer.from('ignored').toString('base64') };
    await send(legacy);
    await waitFor(() => events.length === 1, 5_000, 'ReplicaStored');
    expect(events[0]).toMatchObject({ type: 'ReplicaStored', fileId: legacy.fileId, sha256: sha256(bytes) });
    expect(sourceRequests).toBe(1);
    expect(await store.verify(legacy.fileId)).toBe(true);
  });

  /** A ReplicateFiles carrying `files`, each with its bytes (or `content` forged). */
  const batch = (files: { bytes: Buffer; content?: Buffer }[]) => {
    const entries = files.map(({ bytes, content }) => ({
      fileId: randomUUID(),
      size: bytes.length,
      sha256: sha256(bytes),
      name: 'small.txt',
      content: (content ?? bytes).toString('base64'),
    }));
    return { type: 'ReplicateFiles', version: 1, node: 'n1', files: entries };
  };

  it('stores every file of a ReplicateFiles and reports them in one ReplicasStored; a duplicate re-reports', async () => {
    const files = ['one', 'two', 'three'].map((text) => ({ bytes: Buffer.from(text) }));
    const message = batch(files);
    await send(message);
    await waitFor(() => events.length === 1, 5_000, 'ReplicasStored');
    const [event] = events;
    expect(event).toMatchObject({ type: 'ReplicasStored', node: 'n1' });
    const reported = event?.type === 'ReplicasStored' ? event.replicas : [];
    expect(reported.map((r) => [r.fileId, r.sha256, r.size])).toEqual(
      message.files.map((f) => [f.fileId, f.sha256, f.size]),
    );
    for (const file of message.files) {
      expect(await store.verify(file.fileId)).toBe(true);
      expect((await store.get(file.fileId))?.name).toBe('small.txt');
    }
    await send(message);
    await waitFor(() => events.length === 2, 5_000, 'the second ReplicasStored');
    expect(events[1]).toEqual(event);
    expect(sourceRequests).toBe(0);
  });

  it('retries a batch with a bad file, reporting the good ones, and on the last attempt fails only the bad one', async () => {
    const good = Buffer.from('good bytes');
    const message = batch([
      { bytes: good },
      { bytes: Buffer.from('promised'), content: Buffer.from('forged') },
    ]);
    const [kept, forged] = message.files;
    await send(message);
    await waitFor(() => events.some((e) => e.type === 'ReplicaFailed'), 10_000, 'ReplicaFailed');
    const stored = events.filter((e) => e.type === 'ReplicasStored');
    // Every attempt reports the copy it holds; the last one also gives up on the forged file.
    expect(stored).toHaveLength(DELIVERY_LIMIT);
    for (const e of stored) expect(e.replicas.map((r) => r.fileId)).toEqual([kept?.fileId]);
    expect(events.filter((e) => e.type === 'ReplicaFailed')).toMatchObject([
      { type: 'ReplicaFailed', fileId: forged?.fileId, node: 'n1' },
    ]);
    expect(await store.verify(kept?.fileId ?? '')).toBe(true);
    expect(await store.get(forged?.fileId ?? '')).toBeUndefined();
    await sleep(100);
    expect(events).toHaveLength(DELIVERY_LIMIT + 1);
    expect(node.broker.depth(node.names.deadLetterQueue)).toBe(0);
  });

  it('retries an unreachable source with backoff, then reports ReplicaFailed and drops the command', async () => {
    const message = command(Buffer.from('x'), `http://127.0.0.1:${await freePort()}/gone`);
    await send(message);
    await waitFor(() => events.length === 1, 10_000, 'ReplicaFailed');
    expect(events[0]).toMatchObject({ type: 'ReplicaFailed', fileId: message.fileId, node: 'n1' });
    await sleep(100);
    expect(events).toHaveLength(1);
    expect(node.broker.depth(node.names.deadLetterQueue)).toBe(0);
  });

  it('refuses bytes that do not match the SHA-256 on every attempt and keeps nothing of them', async () => {
    const message = command(Buffer.from('what ingest stored'));
    serve = Buffer.from('what ingest stored'.replace('s', 'S'));
    await send(message);
    await waitFor(() => events.length === 1, 10_000, 'ReplicaFailed');
    expect(events[0]).toMatchObject({ type: 'ReplicaFailed', fileId: message.fileId });
    expect(sourceRequests).toBe(DELIVERY_LIMIT);
    expect(await store.get(message.fileId)).toBeUndefined();
    expect(await storeFiles()).toEqual([]);
  });

  it('gives up at once when the source no longer has the file', async () => {
    serve = 404;
    const message = command(Buffer.from('deleted meanwhile'));
    await send(message);
    await waitFor(() => events.length === 1, 5_000, 'ReplicaFailed');
    expect(sourceRequests).toBe(1);
  });

  it('dead-letters a command for another node and an invalid one', async () => {
    await send({ ...command(Buffer.from('x')), node: 'n2' });
    await send({ type: 'ReplicateFile', version: 2 });
    await send({ ...batch([{ bytes: Buffer.from('x') }]), node: 'n2' });
    await send({ ...batch([{ bytes: Buffer.from('x') }]), files: [] });
    await waitFor(() => node.broker.depth(node.names.deadLetterQueue) === 4, 5_000, 'four dead letters');
    expect(events).toEqual([]);
  });

  it('deletes idempotently: a DeleteFile for a file it never had still reports the deletion', async () => {
    const stored = command(serve as Buffer);
    await send(stored);
    await waitFor(() => events.length === 1, 5_000, 'ReplicaStored');
    for (const fileId of [stored.fileId, stored.fileId, randomUUID()]) {
      await send({ type: 'DeleteFile', version: 1, fileId, node: 'n1' });
    }
    await waitFor(() => events.length === 4, 5_000, 'three ReplicaDeleted');
    expect(events.slice(1).map((e) => e.type)).toEqual([
      'ReplicaDeleted',
      'ReplicaDeleted',
      'ReplicaDeleted',
    ]);
    expect(await store.get(stored.fileId)).toBeUndefined();
  });
});
