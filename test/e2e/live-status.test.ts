import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusBody, uploadPut } from '../support/http.ts';
import { runClient, type ServiceProcess, startAllInOne } from '../support/processes.ts';
import { openEvents, type SseClient } from '../support/sse.ts';
import { waitFor } from '../support/wait-for.ts';

const MiB = 1024 * 1024;

/** The process's resident memory, from its own /metrics. */
async function rss(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes'));
  return Number(line?.split(' ').pop());
}

/**
 * Live status over real HTTP, on `npm start`'s process (embedded broker): SSE streams of the
 * cluster and of one file, resuming with Last-Event-ID, many streams at once, a reader that
 * stops reading, the timeline, and the CLI following a file. Copies of files over 64 KiB
 * crawl (`DFR_FAULTS=slow-copy`), so a stream opened after the upload still sees them land.
 */
describe('live status', () => {
  let dir = '';
  let service: ServiceProcess;
  let base = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-live-'));
    service = await startAllInOne(dir, {
      DFR_FAULTS: 'slow-copy',
      DFR_EVENTS_MAX_QUEUED_BYTES: String(16 * 1024),
    });
    base = `http://127.0.0.1:${service.port()}`;
  });

  afterAll(async () => {
    await service?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The events of one file, in the order a stream delivered them. */
  const typesOf = (client: SseClient, fileId: string) =>
    client.events
      .filter((e) => e.data.fileId === fileId)
      .map((e) => `${e.type}${e.data.node ? ` ${e.data.node}` : ''}`);

  it("a file's stream starts with its status, shows each copy land, and ends once it is whole", async () => {
    const { body } = await uploadPut(base, 'slow.bin', randomBytes(MiB));
    const { id } = StatusBody.parse(body);
    const stream = await openEvents(`${base}/files/${id}/events`);
    expect(stream.status).toBe(200);
    await waitFor(() => stream.ended(), 30_000, 'the file stream to end');
    const [first, ...rest] = stream.events;
    expect(first?.type).toBe('status');
    expect(first?.data).toMatchObject({ id, target: 3 });
    const stored = (first?.data.replicas as number) ?? 0;
    expect(stored).toBeLessThan(3);
    expect(rest.filter((e) => e.type === 'replica.stored')).toHaveLength(3 - stored);
    expect(rest.at(-1)?.type).toBe('file.completed');
    const ids = stream.events.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('the cluster stream shows an upload from received to completed, in order', async () => {
    const stream = await openEvents(`${base}/events`);
    const { body } = await uploadPut(base, 'small.txt', Buffer.from('small'));
    const { id } = StatusBody.parse(body);
    await stream.next((e) => e.type === 'file.completed' && e.data.fileId === id);
    const types = typesOf(stream, id);
    expect(types[0]).toBe('file.received');
    expect(types.filter((t) => t.startsWith('replica.stored')).sort()).toEqual(
      ['node1', 'node2', 'node3'].map((n) => `replica.stored ${n}`),
    );
    expect(types.at(-1)).toBe('file.completed');
    for (const event of stream.events)
      expect(event.data).toMatchObject({ type: event.type, at: expect.any(String) });
    stream.close();

    const history = (await (await fetch(`${base}/files/${id}/history`)).json()) as {
      events: { type: string }[];
    };
    expect(history.events.map((e) => e.type)).toEqual(types.map((t) => t.split(' ')[0]));
  });

  it('a stream that reconnects with Last-Event-ID gets what it missed, nothing twice', async () => {
    const first = await openEvents(`${base}/events`);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await uploadPut(base, `r${i}.txt`, Buffer.from(`file ${i}`));
      ids.push(StatusBody.parse(body).id);
    }
    await first.next((e) => e.type === 'file.completed' && e.data.fileId === ids[2]);
    first.close();
    const all = first.events.filter((e) => e.type !== 'node.up');
    const cut = all[Math.floor(all.length / 2)];
    const resumed = await openEvents(`${base}/events`, { 'last-event-id': String(cut?.id) });
    await resumed.next((e) => e.type === 'file.completed' && e.data.fileId === ids[2]);
    resumed.close();
    const expected = all.filter((e) => Number(e.id) > Number(cut?.id)).map((e) => e.id);
    const got = resumed.events.filter((e) => expected.includes(e.id)).map((e) => e.id);
    expect(got).toEqual(expected);
    expect(new Set(resumed.events.map((e) => e.id)).size).toBe(resumed.events.length);
  });

  it('serves 200 streams at once, each seeing the same upload', async () => {
    const streams = await Promise.all(Array.from({ length: 200 }, () => openEvents(`${base}/events`)));
    const { body } = await uploadPut(base, 'many.txt', Buffer.from('seen by all'));
    const { id } = StatusBody.parse(body);
    await Promise.all(streams.map((s) => s.next((e) => e.type === 'file.completed' && e.data.fileId === id)));
    for (const s of streams) s.close();
  });

  it('drops a reader that stops reading; the server stays responsive and its memory flat', async () => {
    const before = await rss(base);
    const socket = connect(service.port(), '127.0.0.1');
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.write('GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    // A paused socket reads nothing: the server's writes pile up in the kernel, then in Node.
    socket.pause();
    // About 2 KB of events per upload (long names), far more than the kernel and the bound hold.
    const name = 'n'.repeat(240);
    const uploads = 400;
    for (let round = 0; round < uploads / 40; round++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => uploadPut(base, `${name}${round}-${i}`, randomBytes(16))),
      );
    }
    // Reading again, the client finds what was queued for it and then the end of the stream.
    socket.resume();
    await waitFor(() => closed, 30_000, 'the stalled reader to have been dropped');
    expect(received).toBeLessThan(uploads * 2_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await rss(base)).toBeLessThan(before + 64 * MiB);
  });

  it('dfr status --watch follows a file until it is whole', async () => {
    const { body } = await uploadPut(base, 'watched.bin', randomBytes(MiB));
    const { id } = StatusBody.parse(body);
    const watched = await runClient(['status', '--watch', id, '--server', base], {}, 60_000);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain('UPLOAD_OK 3');
    expect(watched.stdout).toMatch(/file\.completed/);
  });
});
