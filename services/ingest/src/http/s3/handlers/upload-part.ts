import type { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import type { UploadPart } from '../../../s3/s3-catalog.ts';
import { uploadError } from '../../../uploads/upload-errors.ts';
import { acceptBody, refuseBody } from '../body-rules.ts';
import { copySource, copySourceRange } from '../copy-source.ts';
import { openObjectBytes } from '../object-bytes.ts';
import { PayloadCheck } from '../payload-check.ts';
import { requestPayload } from '../request-payload.ts';
import { sendXml } from '../respond.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';
import { requireUpload } from './multipart.ts';

const GiB = 1024 ** 3;
/** S3's largest part. */
const MAX_PART_BYTES = 5 * GiB;

/** UploadPart: in any order, and again (the newest send of a number counts; the older bytes go). */
export async function uploadPart(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  const partNumber = partNumberOf(call);
  const upload = await requireUpload(ctx, call, key);
  const payload = requestPayload(req, call.verified.payload);
  const maxBytes = Math.min(MAX_PART_BYTES, ctx.maxUploadBytes);
  acceptBody(req, res, call, maxBytes, ctx.requestTimeoutMs);
  const part = await savePart(ctx, upload.uploadId, partNumber, payload.body, payload.check, maxBytes);
  res.setHeader('ETag', `"${part.etag}"`);
  const verified = payload.check.verifiedChecksum();
  if (verified) res.setHeader(`x-amz-checksum-${verified.algorithm}`, verified.value);
  res.status(200).end();
}

/** UploadPartCopy: a part made of an existing object's bytes, or a range of them. */
export async function uploadPartCopy(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  const partNumber = partNumberOf(call);
  refuseBody(req);
  const upload = await requireUpload(ctx, call, key);
  const source = await copySource(ctx, req);
  const range = copySourceRange(req, source.object.size);
  const check = new PayloadCheck({});
  const bytes = await openObjectBytes(ctx, source.file, range);
  bytes.on('error', (err) => check.destroy(err));
  bytes.pipe(check);
  const part = await savePart(ctx, upload.uploadId, partNumber, check, check, MAX_PART_BYTES);
  sendXml(res, 'CopyPartResult', { LastModified: part.lastModified, ETag: `"${part.etag}"` });
}

async function savePart(
  ctx: S3Context,
  uploadId: string,
  partNumber: number,
  body: Readable,
  check: PayloadCheck,
  maxBytes: number,
): Promise<{ etag: string; lastModified: string }> {
  const written = await ctx.parts.write(uploadId, partNumber, body, maxBytes).catch((err: unknown) => {
    throw uploadError(err);
  });
  const part: UploadPart = {
    uploadId,
    partNumber,
    size: written.size,
    etag: check.md5Hex(),
    lastModified: new Date().toISOString(),
    file: written.file,
    checksum: check.verifiedChecksum(),
    holder: written.holder,
  };
  const recorded = await ctx.catalog.putPart(part);
  if (!recorded) {
    await ctx.parts.remove(part);
    throw new S3Error(
      'NoSuchUpload',
      'The multipart upload was aborted or completed while this part arrived.',
    );
  }
  // The part sent before may be held by another instance, which is asked to remove it.
  if (recorded.replaced) await ctx.parts.remove(recorded.replaced);
  return part;
}

function partNumberOf(call: S3Call): number {
  const text = call.query.get('partNumber') ?? '';
  const number = Number(text);
  if (!/^\d{1,5}$/.test(text) || number < 1 || number > 10_000)
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
      ArgumentName: 'partNumber',
      ArgumentValue: text,
    });
  return number;
}
