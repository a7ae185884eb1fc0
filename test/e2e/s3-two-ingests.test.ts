import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { download, sha256, waitForReplicas } from '../support/http.ts';
import { createTestDatabase, resolvePostgresUrl, type TestDatabase } from '../support/postgres.ts';
import { freePort } from '../support/private-rabbit.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';
import { errorCode, md5, objectBytes, randomData } from '../support/s3-sdk.ts';
import { waitFor } from '../support/wait-for.ts';

const NODES = ['node1', 'node2', 'node3'];
const MiB = 1024 * 1024;
const ACCESS_KEY = 'test-access';
const SECRET_KEY = 'test-secret-key-0123';
const amqpUrl = resolveAmqpUrl();
const postgresUrl = resolvePostgresUrl();

type Which = 'a' | 'b';

/**
 * Two ingest instances on one PostgreSQL database and one broker, each with its own data
 * directory, REST port and S3 port: the S3 catalog is shared, so an object put through one is
 * listed and read through the other, and a multipart upload may send its parts to both and be
 * completed by either (each part is read from the instance holding it).
 */
describeWithRabbit('S3 on two ingest instances on PostgreSQL', postgresUrl ? amqpUrl : undefined, (url) => {
  const prefix = uniquePrefix();
  const processes = new Map<string, ServiceProcess>();
  const clients = new Map<Which, S3Client>();
  let dir = '';
  let database: TestDatabase;
  const ports = { a: { rest: 0, s3: 0 }, b: { rest: 0, s3: 0 } };
  const rest = (which: Which) => `http://127.0.0.1:${ports[which].rest}`;
  const s3 = (which: Which) => clients.get(which) as S3Client;
  const common = () => ({
    AMQP_URL: url,
    DFR_AMQP_PREFIX: prefix,
    DFR_HOST: '127.0.0.1',
    DFR_CLUSTER_TOKEN: 'cluster-secret',
    DFR_HEARTBEAT_INTERVAL_MS: '1000',
  });

  const startIngest = async (which: Which) => {
    const ingest = await startService('ingest', `ingest-${which}`, [], {
      ...common(),
      DFR_DATABASE_URL: database.url,
      DFR_PORT: String(ports[which].rest),
      DFR_PUBLIC_URL: rest(which),
      DFR_DATA_DIR: join(dir, which),
      DFR_S3_PORT: String(ports[which].s3),
      DFR_S3_ACCESS_KEY: ACCESS_KEY,
      DFR_S3_SECRET_KEY: SECRET_KEY,
    });
    processes.set(which, ingest);
  };

  const client = (which: Which) =>
    new S3Client({
      endpoint: `http://127.0.0.1:${ports[which].s3}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });

  const partsFolder = (which: Which, uploadId: string) => join(dir, which, 's3-parts', uploadId);
  const gone = (path: string) =>
    access(path).then(
      () => false,
      () => true,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-s3-two-'));
    database = await createTestDatabase(postgresUrl ?? '');
    for (const which of ['a', 'b'] as const) {
      ports[which] = { rest: await freePort(), s3: await freePort() };
      clients.set(which, client(which));
    }
    await Promise.all([startIngest('a'), startIngest('b')]);
    await Promise.all(
      NODES.map(async (node) => {
        const args = ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)];
        processes.set(node, await startService('worker', node, args, common()));
      }),
    );
    await s3('a').send(new CreateBucketCommand({ Bucket: 'shared' }));
  });

  afterAll(async () => {
    for (const c of clients.values()) c.destroy();
    await Promise.all([...processes.values()].map((p) => p.stop()));
    await deleteTopology(url, prefix, NODES);
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an object put through A is listed, read and headed through B', async () => {
    const bytes = randomData(300 * 1024);
    const put = await s3('a').send(new PutObjectCommand({ Bucket: 'shared', Key: 'dir/é.bin', Body: bytes }));
    expect(put.ETag).toBe(`"${md5(bytes)}"`);
    const listed = await s3('b').send(new ListObjectsV2Command({ Bucket: 'shared', Prefix: 'dir/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['dir/é.bin']);
    expect(await objectBytes(s3('b'), 'shared', 'dir/é.bin')).toEqual(bytes);
    const head = await s3('b').send(new HeadObjectCommand({ Bucket: 'shared', Key: 'dir/é.bin' }));
    expect(head.ETag).toBe(put.ETag);
    // Through B's S3 port, it is a file like any other: replicated, and served by A's REST port too.
    const id = await fileId('b', 'dir/é.bin');
    await waitForReplicas(rest('b'), id, 3, 60_000);
    expect(sha256((await download(`${rest('a')}/files/${id}`)).bytes)).toBe(sha256(bytes));
  });

  it('If-None-Match: * from both instances at once: one write wins, the other is refused', async () => {
    const outcomes = await Promise.all(
      (['a', 'b', 'a', 'b'] as const).map((which) =>
        errorCode(
          s3(which).send(
            new PutObjectCommand({ Bucket: 'shared', Key: 'once', Body: randomData(1024), IfNoneMatch: '*' }),
          ),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'no error')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'PreconditionFailed')).toHaveLength(3);
  });

  it('a multipart upload with parts sent to both instances completes through one of them', async () => {
    const chunks = [randomData(5 * MiB), randomData(5 * MiB), randomData(MiB)];
    const created = await s3('a').send(
      new CreateMultipartUploadCommand({ Bucket: 'shared', Key: 'big.bin' }),
    );
    const uploadId = String(created.UploadId);
    const senders: Which[] = ['a', 'b', 'a'];
    const parts = await Promise.all(
      chunks.map(async (body, i) => {
        const sent = await s3(senders[i] as Which).send(
          new UploadPartCommand({
            Bucket: 'shared',
            Key: 'big.bin',
            UploadId: uploadId,
            PartNumber: i + 1,
            Body: body,
          }),
        );
        return { PartNumber: i + 1, ETag: sent.ETag };
      }),
    );
    const listed = await s3('b').send(
      new ListPartsCommand({ Bucket: 'shared', Key: 'big.bin', UploadId: uploadId }),
    );
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    await access(partsFolder('a', uploadId));
    await access(partsFolder('b', uploadId));
    await s3('b').send(
      new CompleteMultipartUploadCommand({
        Bucket: 'shared',
        Key: 'big.bin',
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    // Hashes, not the buffers: comparing 11 MiB buffers element by element takes minutes.
    const whole = sha256(Buffer.concat(chunks));
    expect(sha256(await objectBytes(s3('a'), 'shared', 'big.bin'))).toBe(whole);
    expect(sha256(await objectBytes(s3('b'), 'shared', 'big.bin'))).toBe(whole);
    // Each instance's parts go: B's at once, A's when B asks it to.
    await waitFor(() => gone(partsFolder('b', uploadId)), 10_000, "the parts gone from b's data directory");
    await waitFor(() => gone(partsFolder('a', uploadId)), 10_000, "the parts gone from a's data directory");
  });

  it('a completion whose part is held by an instance that is down is a 503, and succeeds once it is back', async () => {
    const chunks = [randomData(5 * MiB), randomData(1024)];
    const created = await s3('b').send(
      new CreateMultipartUploadCommand({ Bucket: 'shared', Key: 'later.bin' }),
    );
    const uploadId = String(created.UploadId);
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    for (const [i, body] of chunks.entries()) {
      const which: Which = i === 0 ? 'a' : 'b';
      const sent = await s3(which).send(
        new UploadPartCommand({
          Bucket: 'shared',
          Key: 'later.bin',
          UploadId: uploadId,
          PartNumber: i + 1,
          Body: body,
        }),
      );
      parts.push({ PartNumber: i + 1, ETag: sent.ETag });
    }
    const complete = () =>
      s3('b').send(
        new CompleteMultipartUploadCommand({
          Bucket: 'shared',
          Key: 'later.bin',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    await processes.get('a')?.kill();
    expect(await errorCode(complete())).toBe('ServiceUnavailable');
    await startIngest('a');
    await complete();
    expect(sha256(await objectBytes(s3('b'), 'shared', 'later.bin'))).toBe(sha256(Buffer.concat(chunks)));
  });

  /** The dfr file behind a key: `x-dfr-file-id` of a HEAD through the instance's S3 port. */
  async function fileId(which: Which, key: string): Promise<string> {
    const command = new HeadObjectCommand({ Bucket: 'shared', Key: key });
    const head = await fetch(await getSignedUrl(s3(which), command, { expiresIn: 300 }), { method: 'HEAD' });
    expect(head.status).toBe(200);
    return String(head.headers.get('x-dfr-file-id'));
  }
});
