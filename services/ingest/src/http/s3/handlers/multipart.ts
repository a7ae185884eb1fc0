import type { Request, Response } from 'express';
import { newUploadId } from '../../../s3/part-store.ts';
import type { MultipartUpload } from '../../../s3/s3-catalog.ts';
import { parseAlgorithm } from '../checksums.ts';
import { requireBucket } from '../object-bytes.ts';
import { refuseUnsupportedHeaders, requestObjectHeaders } from '../object-headers.ts';
import { sendXml, xmlDate } from '../respond.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';

const OWNER = { ID: 'dfr', DisplayName: 'dfr' };

/** CreateMultipartUpload: the upload remembers the headers the object will be served with. */
export async function createMultipartUpload(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  const bucket = String(call.bucket);
  refuseUnsupportedHeaders(req);
  const algorithm = req.get('x-amz-checksum-algorithm');
  const upload: MultipartUpload = {
    uploadId: newUploadId(),
    bucket,
    key,
    initiatedAt: new Date().toISOString(),
    headers: requestObjectHeaders(req),
    checksumAlgorithm: algorithm === undefined ? undefined : parseAlgorithm(algorithm),
  };
  if (!(await ctx.catalog.createUpload(upload)))
    throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  if (algorithm !== undefined) res.setHeader('x-amz-checksum-algorithm', algorithm);
  sendXml(res, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId });
}

/** The upload `uploadId` names, if it is one of this bucket and key. */
export async function requireUpload(ctx: S3Context, call: S3Call, key: string): Promise<MultipartUpload> {
  const uploadId = call.query.get('uploadId') ?? '';
  const upload = await ctx.catalog.getUpload(uploadId);
  if (!upload || upload.bucket !== call.bucket || upload.key !== key)
    throw new S3Error(
      'NoSuchUpload',
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
      { UploadId: uploadId },
    );
  return upload;
}

/** AbortMultipartUpload: the upload and every part's bytes go. */
export async function abortMultipartUpload(
  ctx: S3Context,
  call: S3Call,
  res: Response,
  key: string,
): Promise<void> {
  const upload = await requireUpload(ctx, call, key);
  const parts = await ctx.catalog.deleteUpload(upload.uploadId);
  await ctx.parts.removeUpload(upload.uploadId, parts ?? []);
  res.status(204).end();
}

const MAX_PARTS = 1000;

export async function listParts(ctx: S3Context, call: S3Call, res: Response, key: string): Promise<void> {
  const upload = await requireUpload(ctx, call, key);
  const marker = integerParam(call, 'part-number-marker', 0);
  const maxParts = Math.min(integerParam(call, 'max-parts', MAX_PARTS), MAX_PARTS);
  const parts = await ctx.catalog.listParts(upload.uploadId, marker, maxParts + 1);
  const shown = parts.slice(0, maxParts);
  const truncated = parts.length > maxParts;
  sendXml(res, 'ListPartsResult', {
    Bucket: upload.bucket,
    Key: upload.key,
    UploadId: upload.uploadId,
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: truncated ? shown.at(-1)?.partNumber : undefined,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: shown.map((part) => ({
      PartNumber: part.partNumber,
      LastModified: xmlDate(part.lastModified),
      ETag: `"${part.etag}"`,
      Size: part.size,
    })),
  });
}

/** ListMultipartUploads by prefix and markers; grouping by delimiter is not supported (NotImplemented). */
export async function listMultipartUploads(ctx: S3Context, call: S3Call, res: Response): Promise<void> {
  const bucket = String(call.bucket);
  if (call.query.get('delimiter'))
    throw new S3Error('NotImplemented', 'ListMultipartUploads does not support a delimiter here.');
  await requireBucket(ctx, bucket);
  const prefix = call.query.get('prefix') ?? '';
  const keyMarker = call.query.get('key-marker');
  const uploadIdMarker = call.query.get('upload-id-marker');
  const maxUploads = Math.min(integerParam(call, 'max-uploads', MAX_PARTS), MAX_PARTS);
  const after = keyMarker ? { key: keyMarker, uploadId: uploadIdMarker } : undefined;
  const uploads = await ctx.catalog.listUploads(bucket, { prefix, after, limit: maxUploads + 1 });
  const shown = uploads.slice(0, maxUploads);
  const truncated = uploads.length > maxUploads;
  const last = shown.at(-1);
  sendXml(res, 'ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: keyMarker ?? '',
    UploadIdMarker: uploadIdMarker ?? '',
    NextKeyMarker: truncated ? last?.key : undefined,
    NextUploadIdMarker: truncated ? last?.uploadId : undefined,
    Prefix: prefix,
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: shown.map((upload) => ({
      Key: upload.key,
      UploadId: upload.uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      Initiated: xmlDate(upload.initiatedAt),
    })),
  });
}

function integerParam(call: S3Call, name: string, fallback: number): number {
  const value = call.query.get(name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value))
    throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`, { ArgumentName: name });
  return Number(value);
}
