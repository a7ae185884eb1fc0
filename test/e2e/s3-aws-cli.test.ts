import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRabbit, resolveAmqpUrl } from '../support/amqp.ts';
import { sha256 } from '../support/http.ts';
import {
  clientInstalled,
  expectReplicated,
  expectSameFiles,
  type Fixtures,
  makeFixtures,
  ok,
  rawRequest,
  readTree,
  runCli,
} from '../support/s3-checks.ts';
import {
  S3_ACCESS_KEY,
  S3_REGION,
  S3_SECRET_KEY,
  type S3Cluster,
  startS3Cluster,
} from '../support/s3-cluster.ts';

const amqpUrl = resolveAmqpUrl();

interface Cli {
  name: string;
  command: string;
}

/** Debian's aws-cli v2.9 (Content-MD5, no default checksums); the image's v1 with a current botocore (CRC32, aws-chunked over TLS). */
const V2 = { name: 'aws-cli v2', command: '/usr/bin/aws' };
const V1 = { name: 'aws-cli v1', command: 'aws' };
const installed = { v2: clientInstalled(V2.name, V2.command), v1: clientInstalled(V1.name, V1.command) };

/**
 * aws-cli v1's `s3 presign` signs with Signature V2 unless told otherwise; this is the setting a
 * user of this service needs too (README).
 */
const AWS_CONFIG = `[default]\nregion = ${S3_REGION}\ns3 =\n    signature_version = s3v4\n`;

function awsEnv(cluster: S3Cluster, configPath: string, secret = S3_SECRET_KEY): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_CONFIG_FILE: configPath,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
    ...(cluster.caPath ? { AWS_CA_BUNDLE: cluster.caPath } : {}),
  };
}

/**
 * One aws-cli session: 2 KiB, 5 MiB and 20 MiB (multipart, parallel parts) and a tree with the
 * key `&+-é"/x`, all downloaded again and compared byte for byte, and replicated to every node.
 * `full` adds listings, a range, a presigned GET and the refusals.
 */
function awsSession(
  get: () => { cluster: S3Cluster; fixtures: Fixtures },
  cli: Cli,
  bucket: string,
  full: boolean,
) {
  const aws = async (args: string[], secret?: string) => {
    const { cluster, fixtures } = get();
    const config = join(fixtures.dir, 'aws-config');
    await writeFile(config, AWS_CONFIG);
    return runCli(
      cli.command,
      ['--endpoint-url', cluster.s3, ...args],
      awsEnv(cluster, config, secret),
      fixtures.dir,
    );
  };
  const root = `s3://${bucket}`;

  it(`${cli.name}: mb, cp --recursive, sync, download everything byte-identical, every node holds it`, async () => {
    const { cluster, fixtures } = get();
    ok(await aws(['s3', 'mb', root]), 'mb');
    ok(await aws(['s3', 'cp', '--recursive', 'files', `${root}/files`]), 'cp --recursive');
    ok(await aws(['s3', 'sync', 'tree', `${root}/tree`]), 'sync');
    const back = join(fixtures.dir, `back-${bucket}`);
    ok(await aws(['s3', 'cp', '--recursive', root, back]), 'download');
    expectSameFiles(
      await readTree(back),
      new Map([
        ...fixtures.files.map((f) => [`files/${f.name}`, f.bytes] as const),
        ...fixtures.tree.map((t) => [`tree/${t.path}`, t.bytes] as const),
      ]),
    );
    await rm(back, { recursive: true });
    for (const file of fixtures.files)
      await expectReplicated(cluster, bucket, `files/${file.name}`, file.bytes);
    const awkward = fixtures.tree.find((t) => t.path === '&+-é"/x');
    if (awkward) await expectReplicated(cluster, bucket, 'tree/&+-é"/x', awkward.bytes);
  });

  if (full) {
    it(`${cli.name}: ls, list-objects v2 and v1 with prefix and delimiter, a range, a presigned GET, sync finds nothing to do`, async () => {
      const { cluster, fixtures } = get();
      const top = ok(await aws(['s3', 'ls', `${root}/`]), 'ls');
      for (const folder of ['files/', 'tree/']) expect(top).toContain(`PRE ${folder}`);
      expect(ok(await aws(['s3', 'sync', 'tree', `${root}/tree`]), 'sync again')).toBe('');
      const v2 = JSON.parse(
        ok(
          await aws([
            's3api',
            'list-objects-v2',
            '--bucket',
            bucket,
            '--prefix',
            'tree/',
            '--delimiter',
            '/',
          ]),
          'v2',
        ),
      ) as { Contents: { Key: string }[]; CommonPrefixes: { Prefix: string }[] };
      expect(v2.Contents.map((c) => c.Key)).toEqual(['tree/a.txt']);
      expect(v2.CommonPrefixes.map((p) => p.Prefix)).toEqual(['tree/&+-é"/', 'tree/sub/']);
      const v1 = JSON.parse(
        ok(
          await aws(['s3api', 'list-objects', '--bucket', bucket, '--prefix', 'tree/', '--page-size', '1']),
          'v1',
        ),
      ) as { Contents: { Key: string }[] };
      expect(v1.Contents.map((c) => c.Key).sort()).toEqual(fixtures.tree.map((t) => `tree/${t.path}`).sort());
      const big = fixtures.files.find((f) => f.name === 'big.bin')?.bytes ?? Buffer.alloc(0);
      const range = JSON.parse(
        ok(
          await aws([
            's3api',
            'get-object',
            '--bucket',
            bucket,
            '--key',
            'files/big.bin',
            '--range',
            'bytes=1000-1999',
            'range.back',
          ]),
          'range',
        ),
      ) as { ContentRange: string };
      expect(range.ContentRange).toBe(`bytes 1000-1999/${big.length}`);
      expectSameFiles(
        new Map([['r', (await readTree(fixtures.dir)).get('range.back') ?? Buffer.alloc(0)]]),
        new Map([['r', big.subarray(1000, 2000)]]),
      );
      const presigned = ok(
        await aws(['s3', 'presign', `${root}/files/small.bin`, '--expires-in', '300']),
        'presign',
      ).trim();
      expect(presigned).toContain('X-Amz-Signature=');
      const got = await rawRequest(cluster, presigned);
      expect(got.status).toBe(200);
      expect(sha256(got.body)).toBe(sha256(fixtures.files[0]?.bytes ?? Buffer.alloc(1)));
      const forged = presigned.replace(
        /X-Amz-Signature=[0-9a-f]/,
        (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`,
      );
      expect((await rawRequest(cluster, forged)).status).toBe(403);
    });

    it(`${cli.name}: a wrong secret and a wrong checksum are refused`, async () => {
      const refused = await aws(['s3', 'ls', root], 'not-the-secret-key');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('SignatureDoesNotMatch');
      const corrupt = await aws([
        's3api',
        'put-object',
        '--bucket',
        bucket,
        '--key',
        'bad',
        '--body',
        'files/small.bin',
        '--checksum-crc32',
        'AAAAAA==',
      ]);
      expect(corrupt.code).not.toBe(0);
      expect(corrupt.stderr).toContain('BadDigest');
      expect((await aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'bad'])).stderr).toContain(
        '404',
      );
    });
  }

  it(`${cli.name}: rm --recursive and rb`, async () => {
    ok(await aws(['s3', 'rm', root, '--recursive']), 'rm --recursive');
    ok(await aws(['s3', 'rb', root]), 'rb');
  });
}

function withCluster(
  tls: boolean,
  sessions: (get: () => { cluster: S3Cluster; fixtures: Fixtures }) => void,
) {
  return (amqp: string) => {
    let state: { cluster: S3Cluster; fixtures: Fixtures } | undefined;
    beforeAll(async () => {
      const cluster = await startS3Cluster(amqp, { tls });
      state = { cluster, fixtures: await makeFixtures(join(cluster.dir, 'work')) };
    });
    afterAll(async () => {
      await state?.cluster.stop();
    });
    sessions(() => {
      if (!state) throw new Error('no cluster');
      return state;
    });
  };
}

describeWithRabbit(
  'S3 API with aws-cli over HTTP',
  amqpUrl,
  withCluster(false, (get) => {
    describe.skipIf(!installed.v2)(V2.name, () => awsSession(get, V2, 'aws-v2', true));
    describe.skipIf(!installed.v1)(V1.name, () => awsSession(get, V1, 'aws-v1', false));
  }),
);

/** Only over TLS does aws-cli v1 frame bodies as aws-chunked with a CRC32 trailer; v2.9 sends the same either way. */
describeWithRabbit(
  'S3 API with aws-cli v1 over TLS (aws-chunked)',
  amqpUrl,
  withCluster(true, (get) => {
    describe.skipIf(!installed.v1)(V1.name, () => awsSession(get, V1, 'aws-v1-tls', true));
  }),
);
