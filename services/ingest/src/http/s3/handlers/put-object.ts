import type { Request, Response } from 'express';
import { acceptBody, refuseBody, refusedWrite, writeCondition } from '../body-rules.ts';
import { copySource } from '../copy-source.ts';
import { openObjectBytes, requireBucket } from '../object-bytes.ts';
import { refuseUnsupportedHeaders, requestObjectHeaders } from '../object-headers.ts';
import { PayloadCheck } from '../payload-check.ts';
import { requestPayload } from '../request-payload.ts';
import { sendXml, xmlDate } from '../respond.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';

/**
 * PutObject: the payload (decoded from aws-chunked when framed so) streams through its checks
 * (MD5 for the ETag; SHA-256, Content-MD5, x-amz-checksum-* when sent) into the upload service;
 * the key then points at the new file and the file it held before is deleted.
 */
export async function putObject(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  const bucket = String(call.bucket);
  refuseUnsupportedHeaders(req);
  const headers = requestObjectHeaders(req);
  const condition = writeCondition(req);
  await requireBucket(ctx, bucket);
  const payload = requestPayload(req, call.verified.payload);
  acceptBody(req, res, call, ctx.maxUploadBytes, ctx.requestTimeoutMs);
  const stored = await ctx.objects.store(key, payload.body, headers);
  if (res.headersSent) {
    await ctx.objects.discard(stored);
    return;
  }
  const checksum = payload.check.verifiedChecksum();
  const fields = { bucket, key, etag: payload.check.md5Hex(), headers, checksum };
  const published = await ctx.objects.publish(stored, fields, (object) =>
    ctx.catalog.putObject(object, condition),
  );
  if (published.outcome !== 'stored') throw refusedWrite(published.outcome, bucket);
  res.setHeader('ETag', `"${published.object.etag}"`);
  if (checksum) res.setHeader(`x-amz-checksum-${checksum.algorithm}`, checksum.value);
  res.setHeader('x-dfr-file-id', published.object.fileId);
  res.status(200).end();
}

/**
 * CopyObject: the source's bytes are read (from the main copy or a node) and stored as a new
 * file, since every object is its own file; headers are the source's (`COPY`, the default) or
 * the request's (`REPLACE`, which also lets an object be copied onto itself, as rclone does to
 * change its metadata).
 */
export async function copyObject(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  const bucket = String(call.bucket);
  refuseUnsupportedHeaders(req);
  refuseBody(req);
  const condition = writeCondition(req);
  const source = await copySource(ctx, req);
  const directive = (req.get('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', {
      ArgumentName: 'x-amz-metadata-directive',
    });
  if (directive === 'COPY' && source.object.bucket === bucket && source.object.key === key)
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  const headers = directive === 'REPLACE' ? requestObjectHeaders(req) : source.object.headers;
  await requireBucket(ctx, bucket);
  const check = new PayloadCheck({});
  const bytes = await openObjectBytes(ctx, source.file);
  bytes.on('error', (err) => check.destroy(err));
  bytes.pipe(check);
  const stored = await ctx.objects.store(key, check, headers);
  const fields = { bucket, key, etag: check.md5Hex(), headers, checksum: undefined };
  const published = await ctx.objects.publish(stored, fields, (object) =>
    ctx.catalog.putObject(object, condition),
  );
  if (published.outcome !== 'stored') throw refusedWrite(published.outcome, bucket);
  res.setHeader('x-dfr-file-id', published.object.fileId);
  sendXml(res, 'CopyObjectResult', {
    LastModified: xmlDate(published.object.lastModified),
    ETag: `"${published.object.etag}"`,
  });
}
