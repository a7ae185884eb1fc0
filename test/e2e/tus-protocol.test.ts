import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { download, getStatus } from '../support/http.ts';
import { freePort } from '../support/private-rabbit.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';
import { filesUnder } from '../support/store-check.ts';
import {
  checksumHeader,
  errorCode,
  heldPatch,
  metadataHeader,
  OFFSET_STREAM,
  type TusAnswer,
  tusCall,
} from '../support/tus.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'token-of-the-tus-protocol-suite';
const MAX_UPLOAD_BYTES = 1024 * 1024;
const EXPIRE_AFTER_MS = 1_000;
const amqpUrl = resolveAmqpUrl();

/**
 * The tus protocol with plain requests, against ingest as its own process: the core protocol,
 * creation, creation-with-upload, termination, expiration and checksum, the token, CORS, the
 * lock, and offsets that survive a crash. `main` has the token and a 1 MiB limit; `expiring`
 * lets uploads expire after a second.
 */
describeWithRabbit('tus protocol on ingest', amqpUrl, (url) => {
  const prefix = uniquePrefix();
  let dir = '';
  const servers: Record<'main' | 'expiring', { port: number; process?: ServiceProcess }> = {
    main: { port: 0 },
    expiring: { port: 0 },
  };
  const base = (name: keyof typeof servers) => `http://127.0.0.1:${servers[name].port}`;
  const dataDir = (name: keyof typeof servers) => join(dir, name);
  const start = async (name: keyof typeof servers, extra: Record<string, string> = {}) => {
    servers[name].process = await startService('ingest', `ingest-${name}`, [], {
      AMQP_URL: url,
      DFR_AMQP_PREFIX: prefix,
      DFR_HOST: '127.0.0.1',
      DFR_PORT: String(servers[name].port),
      DFR_DATA_DIR: dataDir(name),
      DFR_NODES: 'node1',
      ...(name === 'main'
        ? { DFR_API_TOKEN: TOKEN, DFR_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) }
        : { DFR_TUS_EXPIRE_AFTER_MS: String(EXPIRE_AFTER_MS) }),
      ...extra,
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-tus-protocol-'));
    for (const name of ['main', 'expiring'] as const) {
      servers[name].port = await freePort();
      await start(name);
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.process?.stop()));
    await deleteTopology(url, prefix, ['node1']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, options: Parameters<typeof tusCall>[3] = {}) =>
    tusCall(base('main'), method, path, { token: TOKEN, ...options });

  /** A new upload on `main`; its path (`/uploads/<id>`). */
  const create = async (length: number, headers: Record<string, string> = {}, body?: Buffer) => {
    const answer = await call('POST', '/uploads/', {
      headers: { 'upload-length': String(length), ...(body ? OFFSET_STREAM : {}), ...headers },
      ...(body ? { body } : {}),
    });
    expect(answer.status, answer.body).toBe(201);
    return { path: answer.headers.get('location') ?? '', answer };
  };
  const patch = (path: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    call('PATCH', path, { headers: { ...OFFSET_STREAM, 'upload-offset': String(offset), ...headers }, body });
  const offsetOf = async (path: string) => Number((await call('HEAD', path)).headers.get('upload-offset'));
  const expectError = (answer: TusAnswer, status: number, code: string) => {
    expect(answer.status, answer.body).toBe(status);
    expect(errorCode(answer)).toBe(code);
    expect(answer.headers.get('tus-resumable')).toBe('1.0.0');
  };
  /** The file an answer names is exactly `bytes`, downloadable at /files/<id>. */
  const expectFile = async (answer: TusAnswer, bytes: Buffer, name: string) => {
    const fileId = answer.headers.get('x-dfr-file-id') ?? '';
    expect(answer.headers.get('link')).toBe(`</files/${fileId}/status>; rel="describedby"`);
    expect(await getStatus(base('main'), fileId)).toMatchObject({ name, size: bytes.length });
    expect((await download(`${base('main')}/files/${fileId}`)).bytes.equals(bytes)).toBe(true);
  };

  describe('discovery and CORS', () => {
    it('OPTIONS lists the version, exactly the extensions, the size limit and the algorithms, without a token', async () => {
      const answer = await tusCall(base('main'), 'OPTIONS', '/uploads/', { headers: {} });
      expect(answer.status).toBe(204);
      expect(Object.fromEntries([...answer.headers].filter(([k]) => k.startsWith('tus-')))).toEqual({
        'tus-resumable': '1.0.0',
        'tus-version': '1.0.0',
        'tus-extension': 'creation,creation-with-upload,termination,expiration,checksum',
        'tus-max-size': String(MAX_UPLOAD_BYTES),
        'tus-checksum-algorithm': 'sha1,sha256',
      });
    });

    it('a browser preflight is answered, and answers expose the tus headers and the file id', async () => {
      const preflight = await tusCall(base('main'), 'OPTIONS', '/uploads/0123', {
        headers: {
          origin: 'http://app.example',
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,tus-resumable,upload-offset,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
      const allowed = preflight.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
      for (const header of [
        'authorization',
        'tus-resumable',
        'upload-offset',
        'upload-checksum',
        'content-type',
      ])
        expect(allowed).toContain(header);
      const { answer } = await create(10, { origin: 'http://app.example' });
      const exposed = answer.headers.get('access-control-expose-headers')?.toLowerCase() ?? '';
      for (const header of ['location', 'upload-offset', 'upload-length', 'upload-expires', 'x-dfr-file-id'])
        expect(exposed).toContain(header);
      expect(exposed).toMatch(/tus-resumable.*tus-version.*tus-extension.*tus-max-size/);
    });
  });

  describe('refusals', () => {
    it('every method needs the token: 401', async () => {
      const { path } = await create(10);
      for (const [method, target] of [
        ['POST', '/uploads/'],
        ['HEAD', path],
        ['PATCH', path],
        ['DELETE', path],
      ] as const) {
        const answer = await tusCall(base('main'), method, target, {
          token: method === 'PATCH' ? 'wrong-token' : null,
          headers: { 'upload-length': '10', 'upload-offset': '0', ...OFFSET_STREAM },
        });
        expect(answer.status, `${method} ${target}`).toBe(401);
        if (method !== 'HEAD') expect(errorCode(answer)).toBe('UNAUTHORIZED');
      }
      expect(await offsetOf(path)).toBe(0);
    });

    it('another or a missing Tus-Resumable is 412 with Tus-Version', async () => {
      for (const headers of [{ 'tus-resumable': '0.2.2' }, { 'tus-resumable': '' }]) {
        const answer = await call('POST', '/uploads/', { headers: { ...headers, 'upload-length': '5' } });
        expectError(answer, 412, 'UNSUPPORTED_VERSION');
        expect(answer.headers.get('tus-version')).toBe('1.0.0');
      }
    });

    it('a wrong Upload-Offset is 409 and a wrong media type 415, the offset unchanged', async () => {
      const { path } = await create(10);
      expect((await patch(path, 0, Buffer.from('01234'))).status).toBe(204);
      expectError(await patch(path, 0, Buffer.from('56789')), 409, 'OFFSET_MISMATCH');
      expectError(await patch(path, 7, Buffer.from('789')), 409, 'OFFSET_MISMATCH');
      const wrongType = await patch(path, 5, Buffer.from('56789'), {
        'content-type': 'application/octet-stream',
      });
      expectError(wrongType, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await offsetOf(path)).toBe(5);
    });

    it('unknown uploads are 404 on HEAD, PATCH and DELETE', async () => {
      for (const path of ['/uploads/0123456789abcdef0123456789abcdef', '/uploads/..%2f..%2fmetadata.db']) {
        expect((await call('HEAD', path)).status).toBe(404);
        expectError(await patch(path, 0, Buffer.from('x')), 404, 'NOT_FOUND');
        expectError(await call('DELETE', path), 404, 'NOT_FOUND');
      }
    });

    it('past Tus-Max-Size, or past the upload length, is 413 and keeps nothing', async () => {
      const tooLong = await call('POST', '/uploads/', {
        headers: { 'upload-length': String(MAX_UPLOAD_BYTES + 1) },
      });
      expectError(tooLong, 413, 'PAYLOAD_TOO_LARGE');
      const { path } = await create(10);
      expectError(await patch(path, 0, randomBytes(11)), 413, 'PAYLOAD_TOO_LARGE');
      expect(await offsetOf(path)).toBe(0);
    });
  });

  describe('checksum', () => {
    it('a wrong Upload-Checksum is 460 and keeps nothing; right ones (sha1, sha256) are kept', async () => {
      const bytes = randomBytes(3000);
      const { path } = await create(bytes.length, {
        'upload-metadata': metadataHeader({ filename: 'sum.bin' }),
      });
      const first = bytes.subarray(0, 1000);
      const wrong = await patch(path, 0, first, {
        'upload-checksum': checksumHeader('sha256', randomBytes(8)),
      });
      expectError(wrong, 460, 'CHECKSUM_MISMATCH');
      expect(await offsetOf(path)).toBe(0);
      const unsupported = await patch(path, 0, first, { 'upload-checksum': checksumHeader('md5', first) });
      expectError(unsupported, 400, 'BAD_REQUEST');
      expect((await patch(path, 0, first, { 'upload-checksum': checksumHeader('sha1', first) })).status).toBe(
        204,
      );
      const rest = bytes.subarray(1000);
      const last = await patch(path, 1000, rest, { 'upload-checksum': checksumHeader('sha256', rest) });
      expect(last.status).toBe(204);
      expect(last.headers.get('upload-offset')).toBe(String(bytes.length));
      await expectFile(last, bytes, 'sum.bin');
    });

    it('a checksummed body cut short keeps nothing; an unchecked one keeps what arrived', async () => {
      const bytes = randomBytes(200_000);
      const { path } = await create(bytes.length);
      const checked = await heldPatch(servers.main.port, path, 0, bytes, 100_000, {
        authorization: `Bearer ${TOKEN}`,
        'upload-checksum': checksumHeader('sha256', bytes),
      });
      await checked.cut();
      // The cut write holds the lock until it has discarded its bytes.
      let unchecked: Awaited<ReturnType<typeof heldPatch>> | undefined;
      await waitFor(
        async () => {
          unchecked = await heldPatch(servers.main.port, path, 0, bytes, 100_000, {
            authorization: `Bearer ${TOKEN}`,
          }).catch(() => undefined);
          return unchecked !== undefined;
        },
        10_000,
        'the lock of the cut write released',
      );
      expect(await offsetOf(path)).toBe(0);
      await unchecked?.cut();
      await waitFor(
        async () => (await offsetOf(path)) === 100_000,
        10_000,
        'the 100000 bytes that arrived kept',
      );
    });
  });

  describe('creation, termination, the lock', () => {
    it('creation-with-upload: the whole body in the POST makes the file at once', async () => {
      const bytes = randomBytes(5000);
      const metadata = metadataHeader({ filename: 'whole.txt', filetype: 'text/plain' });
      const { path, answer } = await create(bytes.length, { 'upload-metadata': metadata }, bytes);
      expect(path).toMatch(/^\/uploads\/[0-9a-f]{32}$/);
      expect(answer.headers.get('upload-offset')).toBe('5000');
      await expectFile(answer, bytes, 'whole.txt');
      const head = await call('HEAD', path);
      expect(head.headers.get('x-dfr-file-id')).toBe(answer.headers.get('x-dfr-file-id'));
      expect(head.headers.get('upload-metadata')).toBe(metadata);
      expect(head.headers.get('cache-control')).toBe('no-store');
    });

    it('creation-with-upload of a first chunk, then PATCH; a refused first chunk still gives the Location', async () => {
      const bytes = randomBytes(4000);
      const { path, answer } = await create(bytes.length, {}, bytes.subarray(0, 1500));
      expect(answer.headers.get('upload-offset')).toBe('1500');
      expect(Date.parse(answer.headers.get('upload-expires') ?? '')).toBeGreaterThan(Date.now());
      await expectFile(await patch(path, 1500, bytes.subarray(1500)), bytes, 'file');
      const refused = await call('POST', '/uploads/', {
        headers: {
          'upload-length': '10',
          ...OFFSET_STREAM,
          'upload-checksum': checksumHeader('sha1', bytes),
        },
        body: bytes.subarray(0, 10),
      });
      expectError(refused, 460, 'CHECKSUM_MISMATCH');
      expect(await offsetOf(refused.headers.get('location') ?? '')).toBe(0);
    });

    it('an upload of 0 bytes is a file as soon as it is created', async () => {
      const { answer } = await create(0, { 'upload-metadata': metadataHeader({ filename: 'empty' }) });
      await expectFile(answer, Buffer.alloc(0), 'empty');
    });

    it('DELETE terminates an upload: 204, then 404, its bytes gone from the data directory', async () => {
      const { path } = await create(100);
      expect((await patch(path, 0, randomBytes(50))).status).toBe(204);
      const id = path.split('/').pop() ?? '';
      expect(await filesUnder(join(dataDir('main'), 'tus-uploads'))).toEqual(expect.arrayContaining([id]));
      expect((await call('DELETE', path)).status).toBe(204);
      expect((await call('HEAD', path)).status).toBe(404);
      expect(
        (await filesUnder(join(dataDir('main'), 'tus-uploads'))).filter((f) => f.startsWith(id)),
      ).toEqual([]);
    });

    it('a second PATCH (or DELETE) while one is writing is 423; the first completes', async () => {
      const bytes = randomBytes(64 * 1024);
      const { path } = await create(bytes.length);
      const first = await heldPatch(servers.main.port, path, 0, bytes, 1000, {
        authorization: `Bearer ${TOKEN}`,
      });
      expectError(await patch(path, 0, bytes), 423, 'UPLOAD_LOCKED');
      expectError(await call('DELETE', path), 423, 'UPLOAD_LOCKED');
      expect(await first.finish()).toBe(204);
      expect(await offsetOf(path)).toBe(bytes.length);
      const metrics = await (await fetch(`${base('main')}/metrics`)).text();
      expect(metrics).toMatch(/method="PATCH",route="\/uploads\/:id",status="423"/);
    });
  });

  describe('durability and expiry', () => {
    it('offsets survive ingest killed between PATCHes', async () => {
      const bytes = randomBytes(300_000);
      const { path } = await create(bytes.length, {
        'upload-metadata': metadataHeader({ filename: 'durable.bin' }),
      });
      expect((await patch(path, 0, bytes.subarray(0, 120_000))).status).toBe(204);
      await servers.main.process?.kill();
      await start('main');
      expect(await offsetOf(path)).toBe(120_000);
      await expectFile(await patch(path, 120_000, bytes.subarray(120_000)), bytes, 'durable.bin');
    });

    it.each(['crash-before-file-admitted', 'crash-after-file-admitted'])(
      'a hand-over cut by a crash (%s) is finished after the restart, into one file',
      async (fault) => {
        await servers.main.process?.stop();
        await start('main', { DFR_FAULTS: fault });
        const bytes = randomBytes(70_000);
        const name = `${fault}.bin`;
        const { path } = await create(bytes.length, {
          'upload-metadata': metadataHeader({ filename: name }),
        });
        await patch(path, 0, bytes).catch(() => undefined);
        const crashed = servers.main.process?.child;
        await waitFor(() => crashed?.exitCode !== null || crashed?.signalCode !== null, 10_000, 'the crash');
        await start('main');
        const head = await call('HEAD', path);
        expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
        await expectFile(head, bytes, name);
        const listing = (await (await fetch(`${base('main')}/files`)).json()) as {
          files: { name: string }[];
        };
        expect(listing.files.filter((file) => file.name === name)).toHaveLength(1);
      },
    );

    it('an expired upload is 410, and the sweep at start removes it (then 404)', async () => {
      const created = await tusCall(base('expiring'), 'POST', '/uploads/', {
        headers: { 'upload-length': '10' },
      });
      const path = created.headers.get('location') ?? '';
      const expires = Date.parse(created.headers.get('upload-expires') ?? '');
      expect(expires - Date.now()).toBeLessThanOrEqual(EXPIRE_AFTER_MS);
      // Upload-Expires has whole seconds: the upload expires within the second after it.
      await waitFor(() => Date.now() > expires + 1_000, 5_000, 'the expiry');
      expect((await tusCall(base('expiring'), 'HEAD', path)).status).toBe(410);
      const late = await tusCall(base('expiring'), 'PATCH', path, {
        headers: { ...OFFSET_STREAM, 'upload-offset': '0' },
        body: Buffer.from('0123456789'),
      });
      expectError(late, 410, 'UPLOAD_EXPIRED');
      await servers.expiring.process?.stop();
      await start('expiring');
      await waitFor(
        async () => (await tusCall(base('expiring'), 'HEAD', path)).status === 404,
        10_000,
        'the expired upload swept',
      );
      expect(await filesUnder(join(dataDir('expiring'), 'tus-uploads'))).toEqual([]);
    });
  });
});
