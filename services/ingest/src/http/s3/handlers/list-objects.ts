import type { Response } from 'express';
import { afterMarker, type ListPage, listPage } from '../../../s3/listing.ts';
import type { ListAfter, S3Object } from '../../../s3/s3-catalog.ts';
import { requireBucket } from '../object-bytes.ts';
import { sendXml, xmlDate } from '../respond.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';
import { uriEncode } from '../sigv4/uri-encode.ts';
import type { XmlElement } from '../xml.ts';

const OWNER = { ID: 'dfr', DisplayName: 'dfr' };

interface ListParams {
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  /** `encoding-type=url`: keys and prefixes in the answer percent-encoded (aws-cli asks for it). */
  encode: (value: string) => string;
  urlEncoded: boolean;
}

function listParams(call: S3Call, maxName: string): ListParams {
  const encoding = call.query.get('encoding-type');
  if (encoding !== undefined && encoding !== 'url')
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
    });
  const maxText = call.query.get(maxName);
  const maxKeys = maxText === undefined ? 1000 : Number(maxText);
  if (!/^\d{1,10}$/.test(maxText ?? '0'))
    throw new S3Error('InvalidArgument', `Provided ${maxName} not an integer or within integer range`, {
      ArgumentName: maxName,
    });
  const urlEncoded = encoding === 'url';
  return {
    bucket: String(call.bucket),
    prefix: call.query.get('prefix') ?? '',
    delimiter: call.query.get('delimiter') || undefined,
    maxKeys: Math.min(maxKeys, 1000),
    encode: urlEncoded ? (value) => uriEncode(value, true) : (value) => value,
    urlEncoded,
  };
}

async function page(ctx: S3Context, params: ListParams, after: ListAfter | undefined): Promise<ListPage> {
  await requireBucket(ctx, params.bucket);
  return listPage((query) => ctx.catalog.listObjects(params.bucket, query), {
    prefix: params.prefix,
    delimiter: params.delimiter,
    maxKeys: params.maxKeys,
    after,
  });
}

/** The elements every listing shares: the request echoed, the keys and the common prefixes. */
function common(
  params: ListParams,
  result: ListPage,
  contents: (o: S3Object) => XmlElement,
  entry = 'Contents',
) {
  return {
    head: {
      Name: params.bucket,
      Prefix: params.encode(params.prefix),
      Delimiter: params.delimiter === undefined ? undefined : params.encode(params.delimiter),
      MaxKeys: params.maxKeys,
      EncodingType: params.urlEncoded ? 'url' : undefined,
      IsTruncated: result.truncated,
    },
    tail: {
      [entry]: result.objects.map(contents),
      CommonPrefixes: result.commonPrefixes.map((prefix) => ({ Prefix: params.encode(prefix) })),
    },
  };
}

function contentsOf(params: ListParams, owner: boolean) {
  return (object: S3Object): XmlElement => ({
    Key: params.encode(object.key),
    LastModified: xmlDate(object.lastModified),
    ETag: `"${object.etag}"`,
    Size: object.size,
    ...(owner ? { Owner: OWNER } : {}),
    StorageClass: 'STANDARD',
  });
}

/** ListObjects (v1; rclone and s3cmd): `marker`, and `NextMarker` on a truncated page. */
export async function listObjectsV1(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  const params = listParams(call, 'max-keys');
  const marker = call.query.get('marker');
  const result = await page(ctx, params, afterMarker(marker, params.prefix, params.delimiter));
  const { head, tail } = common(params, result, contentsOf(params, true));
  sendXml(res, 'ListBucketResult', {
    ...head,
    Marker: params.encode(marker ?? ''),
    NextMarker: result.truncated && result.next ? params.encode(result.next.key) : undefined,
    ...tail,
  });
}

/** ListObjectsV2 (aws-cli, the SDKs): an opaque continuation token, or `start-after`. */
export async function listObjectsV2(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  const params = listParams(call, 'max-keys');
  const token = call.query.get('continuation-token');
  const startAfter = call.query.get('start-after');
  const after =
    token !== undefined ? decodeToken(token) : afterMarker(startAfter, params.prefix, params.delimiter);
  const result = await page(ctx, params, after);
  const { head, tail } = common(params, result, contentsOf(params, call.query.get('fetch-owner') === 'true'));
  sendXml(res, 'ListBucketResult', {
    ...head,
    ContinuationToken: token,
    NextContinuationToken: result.truncated && result.next ? encodeToken(result.next) : undefined,
    StartAfter: startAfter === undefined ? undefined : params.encode(startAfter),
    KeyCount: result.objects.length + result.commonPrefixes.length,
    ...tail,
  });
}

/** ListObjectVersions: versioning is never on, so every object is its one `null` version. */
export async function listObjectVersions(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  const params = listParams(call, 'max-keys');
  const keyMarker = call.query.get('key-marker');
  const result = await page(ctx, params, afterMarker(keyMarker, params.prefix, params.delimiter));
  const version = (object: S3Object): XmlElement => ({
    Key: params.encode(object.key),
    VersionId: 'null',
    IsLatest: true,
    LastModified: xmlDate(object.lastModified),
    ETag: `"${object.etag}"`,
    Size: object.size,
    Owner: OWNER,
    StorageClass: 'STANDARD',
  });
  const { head, tail } = common(params, result, version, 'Version');
  sendXml(res, 'ListVersionsResult', {
    ...head,
    KeyMarker: params.encode(keyMarker ?? ''),
    VersionIdMarker: call.query.get('version-id-marker') ?? '',
    NextKeyMarker: result.truncated && result.next ? params.encode(result.next.key) : undefined,
    NextVersionIdMarker: result.truncated && result.next && !result.next.wholePrefix ? 'null' : undefined,
    ...tail,
  });
}

function encodeToken(after: ListAfter): string {
  return Buffer.from(JSON.stringify([after.key, after.wholePrefix])).toString('base64url');
}

function decodeToken(token: string): ListAfter {
  try {
    const [key, wholePrefix] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof key === 'string' && typeof wholePrefix === 'boolean') return { key, wholePrefix };
  } catch {
    // Falls through to the error below.
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
    ArgumentName: 'continuation-token',
  });
}
