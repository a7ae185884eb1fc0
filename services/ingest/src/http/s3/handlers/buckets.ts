import type { Request, Response } from 'express';
import { declaredLength } from '../../../../../../shared/src/http/request-headers.ts';
import { requireBucket } from '../object-bytes.ts';
import { sendXml, xmlDate } from '../respond.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';
import { readXmlBody } from '../small-body.ts';
import { child, parseXml, text } from '../xml.ts';

const OWNER = { ID: 'dfr', DisplayName: 'dfr' };

/** S3's rules for new bucket names: 3-63 of a-z 0-9 . -, letters or digits at both ends, no `..`, not an IP address. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export async function listBuckets(ctx: S3Context, res: Response): Promise<void> {
  const buckets = await ctx.catalog.listBuckets();
  sendXml(res, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: xmlDate(b.createdAt) })) },
  });
}

/** CreateBucket; again is 409 BucketAlreadyOwnedByYou (rclone re-creates before each copy and expects it). */
export async function createBucket(ctx: S3Context, call: S3Call, req: Request, res: Response): Promise<void> {
  const name = String(call.bucket);
  if (!BUCKET_NAME.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name))
    throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
  if ((declaredLength(req.get('content-length')) ?? 0) > 0 || req.get('transfer-encoding')) {
    const constraint = text(
      child(
        child(parseXml(await readXmlBody(ctx, call, req, res)), 'CreateBucketConfiguration'),
        'LocationConstraint',
      ),
    );
    if (constraint !== undefined && constraint !== '' && constraint !== ctx.credentials.region)
      throw new S3Error(
        'IllegalLocationConstraintException',
        `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      );
  }
  if (!(await ctx.catalog.createBucket({ name, createdAt: new Date().toISOString() })))
    throw new S3Error(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      { BucketName: name },
    );
  res.setHeader('Location', `/${name}`);
  res.status(200).end();
}

export async function headBucket(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  await requireBucket(ctx, String(call.bucket));
  res.setHeader('x-amz-bucket-region', ctx.credentials.region);
  res.status(200).end();
}

/** DeleteBucket: only an empty one; multipart uploads still under way in it are aborted with it. */
export async function deleteBucket(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  const name = String(call.bucket);
  const result = await ctx.catalog.deleteBucket(name);
  if (result.outcome === 'missing')
    throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
  if (result.outcome !== 'deleted')
    throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: name });
  for (const uploadId of new Set(result.parts.map((p) => p.uploadId)))
    await ctx.parts.removeUpload(
      uploadId,
      result.parts.filter((p) => p.uploadId === uploadId),
    );
  res.status(204).end();
}

export async function getBucketLocation(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  await requireBucket(ctx, String(call.bucket));
  // us-east-1 is written as an empty constraint, as S3 does.
  const region = ctx.credentials.region === 'us-east-1' ? '' : ctx.credentials.region;
  sendXml(res, 'LocationConstraint', { '#text': region });
}

/** Versioning is never enabled here: an empty configuration, as S3 answers for a bucket that never had it. */
export async function getBucketVersioning(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  await requireBucket(ctx, String(call.bucket));
  sendXml(res, 'VersioningConfiguration', {});
}

/** The one key pair owns everything: its ACL is FULL_CONTROL for the owner, and that is true. */
export async function getAcl(
  ctx: S3Context,
  call: S3Call,
  res: Response,
  key: string | undefined,
): Promise<void> {
  if (key === undefined) await requireBucket(ctx, String(call.bucket));
  else if (!(await ctx.catalog.getObject(String(call.bucket), key))) {
    await requireBucket(ctx, String(call.bucket));
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  sendXml(res, 'AccessControlPolicy', {
    Owner: OWNER,
    AccessControlList: {
      Grant: {
        Grantee: {
          '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
          '@_xsi:type': 'CanonicalUser',
          ...OWNER,
        },
        Permission: 'FULL_CONTROL',
      },
    },
  });
}

/** Requester-pays is never on: the owner pays, which is what S3 answers for a bucket that never set it. */
export async function getBucketRequestPayment(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  await requireBucket(ctx, String(call.bucket));
  sendXml(res, 'RequestPaymentConfiguration', { Payer: 'BucketOwner' });
}

/** Objects carry no tags here (a write with tags is refused): an empty tag set is the truth. */
export async function getObjectTagging(
  ctx: S3Context,
  call: S3Call,
  res: Response,
  key: string,
): Promise<void> {
  if (!(await ctx.catalog.getObject(String(call.bucket), key))) {
    await requireBucket(ctx, String(call.bucket));
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  sendXml(res, 'Tagging', { TagSet: {} });
}

/** Bucket configurations this service never has: the "no such configuration" error S3 gives for each. */
export const ABSENT_CONFIGURATIONS = {
  policy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
  cors: ['NoSuchCORSConfiguration', 'The CORS configuration does not exist'],
  lifecycle: ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
  website: ['NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration'],
  tagging: ['NoSuchTagSet', 'The TagSet does not exist'],
  encryption: [
    'ServerSideEncryptionConfigurationNotFoundError',
    'The server side encryption configuration was not found',
  ],
  'object-lock': [
    'ObjectLockConfigurationNotFoundError',
    'Object Lock configuration does not exist for this bucket',
  ],
} as const;

export async function absentConfiguration(
  ctx: S3Context,
  call: S3Call,
  which: keyof typeof ABSENT_CONFIGURATIONS,
): Promise<never> {
  await requireBucket(ctx, String(call.bucket));
  const [code, message] = ABSENT_CONFIGURATIONS[which];
  throw new S3Error(code, message, { BucketName: String(call.bucket) });
}
