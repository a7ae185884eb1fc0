import type { Request, Response } from 'express';
import { requireBucket } from '../object-bytes.ts';
import { sendXml } from '../respond.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';
import { readXmlBody } from '../small-body.ts';
import { child, parseXml, text, type XmlElement } from '../xml.ts';

/** DeleteObject: 204 whether or not the key existed, as S3 answers (the bucket must exist). */
export async function deleteObject(ctx: S3Context, call: S3Call, res: Response, key: string): Promise<void> {
  const bucket = String(call.bucket);
  const versionId = call.query.get('versionId');
  if (versionId !== undefined && versionId !== 'null')
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId' });
  if (!(await ctx.objects.remove(bucket, key))) await requireBucket(ctx, bucket);
  res.status(204).end();
}

const MAX_KEYS = 1000;

/** DeleteObjects (s3cmd `rm -r`, rclone purge): up to 1000 keys, each reported deleted or failed. */
export async function deleteObjects(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
): Promise<void> {
  const bucket = String(call.bucket);
  await requireBucket(ctx, bucket);
  const document = child(parseXml(await readXmlBody(ctx, call, req, res)), 'Delete');
  if (document === undefined) throw malformed();
  const objects = child(document, 'Object');
  const list = Array.isArray(objects) ? objects : [];
  if (list.length === 0 || list.length > MAX_KEYS) throw malformed();
  const quiet = text(child(document, 'Quiet'))?.trim() === 'true';
  const deleted: XmlElement[] = [];
  const errors: XmlElement[] = [];
  for (const entry of list) {
    const key = text(child(entry, 'Key'));
    if (key === undefined || key === '') throw malformed();
    const versionId = text(child(entry, 'VersionId'));
    if (versionId !== undefined && versionId !== 'null') {
      errors.push({
        Key: key,
        VersionId: versionId,
        Code: 'NoSuchVersion',
        Message: 'The specified version does not exist.',
      });
      continue;
    }
    try {
      await ctx.objects.remove(bucket, key);
      if (!quiet) deleted.push({ Key: key, ...(versionId ? { VersionId: versionId } : {}) });
    } catch (err) {
      ctx.logger.error({ err, bucket }, 'DeleteObjects: deleting a key failed');
      errors.push({
        Key: key,
        Code: 'InternalError',
        Message: 'We encountered an internal error. Please try again.',
      });
    }
  }
  sendXml(res, 'DeleteResult', { Deleted: deleted, Error: errors });
}

function malformed(): S3Error {
  return new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema.',
  );
}
