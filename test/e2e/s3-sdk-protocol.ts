import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { download, sha256, waitForReplicas } from '../support/http.ts';
import { expectReplicated, fileOf, sdkClient } from '../support/s3-checks.ts';
import type { S3Cluster } from '../support/s3-cluster.ts';
import { errorCode, md5, objectBytes, randomData } from '../support/s3-sdk.ts';
import { waitFor } from '../support/wait-for.ts';

const MiB = 1024 * 1024;

/** The protocol through the SDK: listings, ranges, conditions, copies, multipart rules, refusals. */
export function sdkProtocolCases(get: () => { cluster: S3Cluster; sdk: S3Client }): void {
  const put = (key: string, body: Buffer | string, bucket = 'sdk') =>
    get().sdk.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  it('lists v2 and v1 with prefix, delimiter and pages of one; every object is its null version', async () => {
    const { sdk } = get();
    await sdk.send(new CreateBucketCommand({ Bucket: 'lists' }));
    const keys = ['a/1', 'a/2', 'b', 'c/d/e', 'c/f', 'é/&"x'];
    for (const key of keys) await put(key, key, 'lists');
    const top = await sdk.send(new ListObjectsV2Command({ Bucket: 'lists', Delimiter: '/' }));
    expect(top.Contents?.map((c) => c.Key)).toEqual(['b']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'c/', 'é/']);
    const under = await sdk.send(new ListObjectsV2Command({ Bucket: 'lists', Prefix: 'c/', Delimiter: '/' }));
    expect(under.Contents?.map((c) => c.Key)).toEqual(['c/f']);
    expect(under.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['c/d/']);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await sdk.send(
        new ListObjectsV2Command({ Bucket: 'lists', MaxKeys: 1, ContinuationToken: token, Delimiter: '/' }),
      );
      seen.push(
        ...(page.Contents ?? []).map((c) => String(c.Key)),
        ...(page.CommonPrefixes ?? []).map((p) => String(p.Prefix)),
      );
      token = page.NextContinuationToken;
    } while (token);
    expect(seen).toEqual(['a/', 'b', 'c/', 'é/']);
    const v1: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await sdk.send(new ListObjectsCommand({ Bucket: 'lists', MaxKeys: 2, Marker: marker }));
      v1.push(...(page.Contents ?? []).map((c) => String(c.Key)));
      if (!page.IsTruncated) break;
      marker = page.NextMarker ?? v1.at(-1);
    }
    expect(v1).toEqual(keys);
    const versions = await sdk.send(new ListObjectVersionsCommand({ Bucket: 'lists', Prefix: 'a/' }));
    expect(versions.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
      ['a/1', 'null', true],
      ['a/2', 'null', true],
    ]);
    expect((await sdk.send(new GetBucketVersioningCommand({ Bucket: 'lists' }))).Status).toBeUndefined();
    expect(await errorCode(sdk.send(new DeleteBucketCommand({ Bucket: 'lists' })))).toBe('BucketNotEmpty');
    await sdk.send(
      new DeleteObjectsCommand({ Bucket: 'lists', Delete: { Objects: keys.map((Key) => ({ Key })) } }),
    );
    await sdk.send(new DeleteBucketCommand({ Bucket: 'lists' }));
    expect(await errorCode(sdk.send(new HeadBucketCommand({ Bucket: 'lists' })))).toBe('NotFound');
  });

  it('serves ranges and honours If-Match, If-None-Match and If-Modified-Since', async () => {
    const { sdk } = get();
    const bytes = randomData(10_000);
    const { ETag } = await put('ranges.bin', bytes);
    expect(await objectBytes(sdk, 'sdk', 'ranges.bin', { Range: 'bytes=10-19' })).toEqual(
      bytes.subarray(10, 20),
    );
    expect(await objectBytes(sdk, 'sdk', 'ranges.bin', { Range: 'bytes=-5' })).toEqual(bytes.subarray(-5));
    expect(await errorCode(objectBytes(sdk, 'sdk', 'ranges.bin', { Range: 'bytes=20000-' }))).toBe(
      'InvalidRange',
    );
    expect(await errorCode(objectBytes(sdk, 'sdk', 'ranges.bin', { IfNoneMatch: ETag }))).toBe('304');
    expect(await errorCode(objectBytes(sdk, 'sdk', 'ranges.bin', { IfMatch: '"0"' }))).toBe(
      'PreconditionFailed',
    );
    expect(
      await errorCode(
        objectBytes(sdk, 'sdk', 'ranges.bin', { IfModifiedSince: new Date(Date.now() + 3600_000) }),
      ),
    ).toBe('304');
    expect((await objectBytes(sdk, 'sdk', 'ranges.bin', { IfMatch: ETag })).length).toBe(bytes.length);
  });

  it('copies an object (keeping or replacing its metadata) and builds a multipart object from ranges of another', async () => {
    const { sdk, cluster } = get();
    const bytes = randomData(12 * MiB);
    await sdk.send(
      new PutObjectCommand({ Bucket: 'sdk', Key: 'copy/source', Body: bytes, Metadata: { color: 'blue' } }),
    );
    await sdk.send(new CopyObjectCommand({ Bucket: 'sdk', Key: 'copy/kept', CopySource: 'sdk/copy/source' }));
    expect((await sdk.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'copy/kept' }))).Metadata).toEqual({
      color: 'blue',
    });
    await sdk.send(
      new CopyObjectCommand({
        Bucket: 'sdk',
        Key: 'copy/source',
        CopySource: 'sdk/copy/source',
        MetadataDirective: 'REPLACE',
        Metadata: { color: 'red' },
      }),
    );
    expect((await sdk.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'copy/source' }))).Metadata).toEqual({
      color: 'red',
    });
    const { UploadId } = await sdk.send(
      new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'copy/parts' }),
    );
    const ranges = ['bytes=6291456-12582911', 'bytes=0-6291455'];
    const parts = [];
    for (const [i, range] of ranges.entries()) {
      const copied = await sdk.send(
        new UploadPartCopyCommand({
          Bucket: 'sdk',
          Key: 'copy/parts',
          UploadId,
          PartNumber: i + 1,
          CopySource: 'sdk/copy/source',
          CopySourceRange: range,
        }),
      );
      parts.push({ PartNumber: i + 1, ETag: copied.CopyPartResult?.ETag });
    }
    await sdk.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sdk',
        Key: 'copy/parts',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const swapped = Buffer.concat([bytes.subarray(6 * MiB), bytes.subarray(0, 6 * MiB)]);
    expect(sha256(await objectBytes(sdk, 'sdk', 'copy/parts'))).toBe(sha256(swapped));
    await expectReplicated(cluster, 'sdk', 'copy/kept', bytes);
    await expectReplicated(cluster, 'sdk', 'copy/parts', swapped);
  });

  it('takes parts in any order and re-sent, lists them, enforces 5 MiB parts and known ETags, aborts', async () => {
    const { sdk, cluster } = get();
    const [first, second, last] = [randomData(5 * MiB), randomData(5 * MiB), randomData(1000)];
    const { UploadId } = await sdk.send(
      new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/ordered' }),
    );
    const send = (n: number, body: Buffer) =>
      sdk.send(
        new UploadPartCommand({ Bucket: 'sdk', Key: 'mp/ordered', UploadId, PartNumber: n, Body: body }),
      );
    await send(3, last);
    await send(2, randomData(5 * MiB));
    const p2 = await send(2, second);
    const p1 = await send(1, first);
    const p3 = await send(3, last);
    expect(p2.ETag).toBe(`"${md5(second)}"`);
    const listed = await sdk.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'mp/ordered', UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, p1.ETag, first.length],
      [2, p2.ETag, second.length],
      [3, p3.ETag, last.length],
    ]);
    const uploads = await sdk.send(new ListMultipartUploadsCommand({ Bucket: 'sdk', Prefix: 'mp/' }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toContain(UploadId);
    const complete = (Parts: { PartNumber: number; ETag?: string | undefined }[]) =>
      sdk.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'sdk',
          Key: 'mp/ordered',
          UploadId,
          MultipartUpload: { Parts },
        }),
      );
    expect(
      await errorCode(
        complete([
          { PartNumber: 1, ETag: p1.ETag },
          { PartNumber: 3, ETag: p3.ETag },
          { PartNumber: 2, ETag: p2.ETag },
        ]),
      ),
    ).toBe('InvalidPartOrder');
    expect(await errorCode(complete([{ PartNumber: 1, ETag: p2.ETag }]))).toBe('InvalidPart');
    expect(
      await errorCode(
        complete([
          { PartNumber: 3, ETag: p3.ETag },
          { PartNumber: 4, ETag: p3.ETag },
        ]),
      ),
    ).toBe('InvalidPart');
    const done = await complete([
      { PartNumber: 1, ETag: p1.ETag },
      { PartNumber: 2, ETag: p2.ETag },
      { PartNumber: 3, ETag: p3.ETag },
    ]);
    expect(done.ETag).toMatch(/-3"$/);
    await expectReplicated(cluster, 'sdk', 'mp/ordered', Buffer.concat([first, second, last]));
    const small = await sdk.send(new CreateMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/small' }));
    const a = await sdk.send(
      new UploadPartCommand({
        Bucket: 'sdk',
        Key: 'mp/small',
        UploadId: small.UploadId,
        PartNumber: 1,
        Body: 'tiny',
      }),
    );
    const b = await sdk.send(
      new UploadPartCommand({
        Bucket: 'sdk',
        Key: 'mp/small',
        UploadId: small.UploadId,
        PartNumber: 2,
        Body: 'tiny',
      }),
    );
    const tooSmall = sdk.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'sdk',
        Key: 'mp/small',
        UploadId: small.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: a.ETag },
            { PartNumber: 2, ETag: b.ETag },
          ],
        },
      }),
    );
    expect(await errorCode(tooSmall)).toBe('EntityTooSmall');
    await sdk.send(
      new AbortMultipartUploadCommand({ Bucket: 'sdk', Key: 'mp/small', UploadId: small.UploadId }),
    );
    expect(
      await errorCode(
        sdk.send(new ListPartsCommand({ Bucket: 'sdk', Key: 'mp/small', UploadId: small.UploadId })),
      ),
    ).toBe('NoSuchUpload');
  });

  it('writing a key again serves the new bytes and deletes the old file everywhere', async () => {
    const { cluster } = get();
    await put('again', 'first version');
    const old = await fileOf(cluster, 'sdk', 'again');
    await waitForReplicas(cluster.ingest, old.id);
    await put('again', 'second version');
    const now = await fileOf(cluster, 'sdk', 'again');
    expect(now.id).not.toBe(old.id);
    await expectReplicated(cluster, 'sdk', 'again', Buffer.from('second version'));
    expect((await download(`${cluster.ingest}/files/${old.id}`)).status).toBe(404);
    for (const node of cluster.nodes)
      await waitFor(
        async () => (await download(`${node.url}/files/${old.id}`)).status === 404,
        30_000,
        `${node.node} drops the old file`,
      );
  });

  it('refuses a wrong secret, an unknown key, a wrong checksum and a wrong Content-MD5, keeping nothing', async () => {
    const { cluster, sdk } = get();
    const wrong = sdkClient(cluster, {
      credentials: { accessKeyId: 'test-access', secretAccessKey: 'wrong-secret-key' },
    });
    expect(await errorCode(wrong.send(new HeadBucketCommand({ Bucket: 'sdk' })))).toBe('403');
    expect(await errorCode(wrong.send(new ListObjectsV2Command({ Bucket: 'sdk' })))).toBe(
      'SignatureDoesNotMatch',
    );
    const stranger = sdkClient(cluster, {
      credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong-secret-key' },
    });
    expect(await errorCode(stranger.send(new ListObjectsV2Command({ Bucket: 'sdk' })))).toBe(
      'InvalidAccessKeyId',
    );
    const badCrc = sdk.send(
      new PutObjectCommand({ Bucket: 'sdk', Key: 'bad', Body: 'payload', ChecksumCRC32: 'AAAAAA==' }),
    );
    expect(await errorCode(badCrc)).toBe('BadDigest');
    const badMd5 = sdk.send(
      new PutObjectCommand({
        Bucket: 'sdk',
        Key: 'bad',
        Body: 'payload',
        ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==',
      }),
    );
    expect(await errorCode(badMd5)).toBe('BadDigest');
    expect(await errorCode(sdk.send(new HeadObjectCommand({ Bucket: 'sdk', Key: 'bad' })))).toBe('NotFound');
    wrong.destroy();
    stranger.destroy();
  });

  it('answers bucket queries it has no configuration for, and NotImplemented for what it does not do', async () => {
    const { sdk } = get();
    expect(await errorCode(sdk.send(new CreateBucketCommand({ Bucket: 'sdk' })))).toBe(
      'BucketAlreadyOwnedByYou',
    );
    expect((await sdk.send(new GetBucketLocationCommand({ Bucket: 'sdk' }))).LocationConstraint).toBeFalsy();
    expect(await errorCode(sdk.send(new GetBucketPolicyCommand({ Bucket: 'sdk' })))).toBe(
      'NoSuchBucketPolicy',
    );
    expect(await errorCode(sdk.send(new PutBucketPolicyCommand({ Bucket: 'sdk', Policy: '{}' })))).toBe(
      'NotImplemented',
    );
    const tagged = sdk.send(
      new PutObjectCommand({ Bucket: 'sdk', Key: 'tagged', Body: 'x', Tagging: 'a=b' }),
    );
    expect(await errorCode(tagged)).toBe('NotImplemented');
    expect(await errorCode(sdk.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'missing' })))).toBe(
      'NoSuchKey',
    );
    expect(await errorCode(sdk.send(new GetObjectCommand({ Bucket: 'nowhere', Key: 'x' })))).toBe(
      'NoSuchBucket',
    );
  });
}
