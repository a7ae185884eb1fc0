import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRabbit, resolveAmqpUrl } from '../support/amqp.ts';
import { sha256 } from '../support/http.ts';
import { expectReplicated, fileOf, rawRequest, sdkClient } from '../support/s3-checks.ts';
import { type S3Cluster, startS3Cluster } from '../support/s3-cluster.ts';
import { md5, objectBytes, randomData } from '../support/s3-sdk.ts';
import { sdkProtocolCases } from './s3-sdk-protocol.ts';

const amqpUrl = resolveAmqpUrl();
const MiB = 1024 * 1024;

/**
 * @aws-sdk/client-s3 and lib-storage (3.1175.0), path style, in both checksum modes, with
 * Buffer, string and file-stream bodies (a stream body is sent aws-chunked even over HTTP).
 */
describeWithRabbit('S3 API with the AWS SDK for JavaScript', amqpUrl, (amqp) => {
  let cluster: S3Cluster;
  let sdk: S3Client;
  beforeAll(async () => {
    cluster = await startS3Cluster(amqp);
    sdk = sdkClient(cluster);
    await sdk.send(new CreateBucketCommand({ Bucket: 'sdk' }));
  });
  afterAll(async () => {
    sdk?.destroy();
    await cluster?.stop();
  });

  describe.each([
    { mode: 'default checksums (CRC32)', checksums: 'WHEN_SUPPORTED' as const },
    { mode: 'checksums when required', checksums: 'WHEN_REQUIRED' as const },
  ])('$mode', ({ checksums }) => {
    const client = () =>
      sdkClient(cluster, { requestChecksumCalculation: checksums, responseChecksumValidation: checksums });

    it('puts a Buffer, a string and a file stream; each ETag is the MD5, each byte comes back and is on every node', async () => {
      const s3 = client();
      const bodies: [string, Buffer, () => Buffer | string | ReturnType<typeof createReadStream>][] = [];
      const buffer = randomData(2048);
      bodies.push([`${checksums}/buffer`, buffer, () => buffer]);
      const text = `a string with é and "quotes" & more\n`.repeat(50);
      bodies.push([`${checksums}/string`, Buffer.from(text), () => text]);
      const file = randomData(5 * MiB);
      const path = join(cluster.dir, `${checksums}.bin`);
      await writeFile(path, file);
      bodies.push([`${checksums}/stream`, file, () => createReadStream(path)]);
      for (const [key, bytes, body] of bodies) {
        const put = await s3.send(
          new PutObjectCommand({ Bucket: 'sdk', Key: key, Body: body(), ContentLength: bytes.length }),
        );
        expect(put.ETag, key).toBe(`"${md5(bytes)}"`);
        expect(sha256(await objectBytes(s3, 'sdk', key)), key).toBe(sha256(bytes));
        await expectReplicated(cluster, 'sdk', key, bytes);
      }
      s3.destroy();
    });

    it('lib-storage uploads 20 MiB from a stream as 5 MiB parts, four at once; the ETag is S3 multipart form', async () => {
      const s3 = client();
      const bytes = randomData(20 * MiB);
      const path = join(cluster.dir, `${checksums}-big.bin`);
      await writeFile(path, bytes);
      const key = `${checksums}/multipart.bin`;
      const upload = new Upload({
        client: s3,
        params: { Bucket: 'sdk', Key: key, Body: createReadStream(path), ContentType: 'video/mp4' },
        partSize: 5 * MiB,
        queueSize: 4,
      });
      const done = await upload.done();
      expect(done.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'sdk', Key: key }));
      expect(head).toMatchObject({ ContentLength: bytes.length, ContentType: 'video/mp4', ETag: done.ETag });
      expect(sha256(await objectBytes(s3, 'sdk', key))).toBe(sha256(bytes));
      await expectReplicated(cluster, 'sdk', key, bytes);
      s3.destroy();
    });
  });

  it('a presigned PUT and a presigned GET carry the bytes; an expired or altered URL is refused', async () => {
    const bytes = randomData(4096);
    const put = await getSignedUrl(sdk, new PutObjectCommand({ Bucket: 'sdk', Key: 'presigned/a b+c' }), {
      expiresIn: 60,
    });
    expect((await rawRequest(cluster, put, { method: 'PUT', body: bytes })).status).toBe(200);
    const get = await getSignedUrl(sdk, new GetObjectCommand({ Bucket: 'sdk', Key: 'presigned/a b+c' }), {
      expiresIn: 60,
    });
    const got = await rawRequest(cluster, get);
    expect(got.status).toBe(200);
    expect(sha256(got.body)).toBe(sha256(bytes));
    expect(got.headers['x-dfr-file-id']).toBe((await fileOf(cluster, 'sdk', 'presigned/a b+c')).id);
    const altered = get.replace('presigned/a%20b', 'presigned/a%20c');
    expect((await rawRequest(cluster, altered)).body.toString()).toContain(
      '<Code>SignatureDoesNotMatch</Code>',
    );
    const short = await getSignedUrl(sdk, new GetObjectCommand({ Bucket: 'sdk', Key: 'presigned/a b+c' }), {
      expiresIn: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await rawRequest(cluster, short);
    expect(expired.status).toBe(403);
    expect(expired.body.toString()).toContain('Request has expired');
  });

  sdkProtocolCases(() => ({ cluster, sdk }));
});
