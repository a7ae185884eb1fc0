import type { Request, Response } from 'express';
import {
  ABSENT_CONFIGURATIONS,
  absentConfiguration,
  createBucket,
  deleteBucket,
  getAcl,
  getBucketLocation,
  getBucketRequestPayment,
  getBucketVersioning,
  getObjectTagging,
  headBucket,
  listBuckets,
} from './handlers/buckets.ts';
import { completeMultipartUpload } from './handlers/complete-upload.ts';
import { deleteObject, deleteObjects } from './handlers/delete-objects.ts';
import { getObject } from './handlers/get-object.ts';
import { listObjectsV1, listObjectsV2, listObjectVersions } from './handlers/list-objects.ts';
import {
  abortMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
} from './handlers/multipart.ts';
import { copyObject, putObject } from './handlers/put-object.ts';
import { uploadPart, uploadPartCopy } from './handlers/upload-part.ts';
import type { S3Context } from './s3-context.ts';
import { S3Error } from './s3-error.ts';
import type { S3Call } from './s3-request.ts';

/**
 * Query parameters that are arguments of an operation. Any other name is a subresource
 * (`?acl`, `?policy`, `?cors`, ...), which picks the operation: an unknown one is NotImplemented,
 * never the plain GET or PUT it would otherwise fall through to.
 */
const ARGUMENTS = new Set([
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'encoding-type',
  'list-type',
  'continuation-token',
  'start-after',
  'fetch-owner',
  'key-marker',
  'version-id-marker',
  'upload-id-marker',
  'max-uploads',
  'part-number-marker',
  'max-parts',
  'uploadId',
  'partNumber',
  'versionId',
  'x-id',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
]);

function subresourceOf(call: S3Call): string | undefined {
  // Presigned URLs carry the signature (X-Amz-*) and hoisted headers (x-amz-*) in the query.
  const names = [...call.query.keys()].filter((name) => !ARGUMENTS.has(name) && !/^x-amz-/i.test(name));
  if (names.length > 1) throw notImplemented(names.join(' and '));
  return names[0];
}

type Run = () => Promise<void>;

/** Chooses the S3 operation of a request and runs it. */
export function runOperation(ctx: S3Context, call: S3Call, req: Request, res: Response): Promise<void> {
  const { bucket, key } = call;
  const sub = subresourceOf(call);
  const run: Run | undefined =
    bucket === undefined
      ? serviceOperation(ctx, req, res)
      : key === undefined
        ? bucketOperation(ctx, call, req, res, sub)
        : objectOperation(ctx, call, req, res, key, sub);
  if (!run) throw notImplemented(sub ? `${req.method} ?${sub}` : req.method);
  return run();
}

function serviceOperation(ctx: S3Context, req: Request, res: Response): Run | undefined {
  if (req.method === 'GET') return () => listBuckets(ctx, res);
  throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
}

function bucketOperation(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  sub: string | undefined,
): Run | undefined {
  switch (req.method) {
    case 'GET':
      if (sub === undefined)
        return call.query.get('list-type') === '2'
          ? () => listObjectsV2(ctx, call, res)
          : () => listObjectsV1(ctx, call, res);
      if (sub === 'location') return () => getBucketLocation(ctx, call, res);
      if (sub === 'versioning') return () => getBucketVersioning(ctx, call, res);
      if (sub === 'versions') return () => listObjectVersions(ctx, call, res);
      if (sub === 'uploads') return () => listMultipartUploads(ctx, call, res);
      if (sub === 'acl') return () => getAcl(ctx, call, res, undefined);
      if (sub === 'requestPayment') return () => getBucketRequestPayment(ctx, call, res);
      if (sub in ABSENT_CONFIGURATIONS)
        return () => absentConfiguration(ctx, call, sub as keyof typeof ABSENT_CONFIGURATIONS);
      return undefined;
    case 'HEAD':
      return sub === undefined ? () => headBucket(ctx, call, res) : undefined;
    case 'PUT':
      return sub === undefined ? () => createBucket(ctx, call, req, res) : undefined;
    case 'DELETE':
      return sub === undefined ? () => deleteBucket(ctx, call, res) : undefined;
    case 'POST':
      return sub === 'delete' ? () => deleteObjects(ctx, call, req, res) : undefined;
    default:
      return undefined;
  }
}

function objectOperation(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
  sub: string | undefined,
): Run | undefined {
  const multipart = call.query.has('uploadId');
  switch (req.method) {
    case 'GET':
      if (sub === 'acl') return () => getAcl(ctx, call, res, key);
      if (sub === 'tagging') return () => getObjectTagging(ctx, call, res, key);
      if (sub !== undefined) return undefined;
      return multipart ? () => listParts(ctx, call, res, key) : () => getObject(ctx, call, req, res, key);
    case 'HEAD':
      return sub === undefined ? () => getObject(ctx, call, req, res, key) : undefined;
    case 'PUT': {
      if (sub !== undefined) return undefined;
      const copy = req.get('x-amz-copy-source') !== undefined;
      if (multipart || call.query.has('partNumber'))
        return copy
          ? () => uploadPartCopy(ctx, call, req, res, key)
          : () => uploadPart(ctx, call, req, res, key);
      return copy ? () => copyObject(ctx, call, req, res, key) : () => putObject(ctx, call, req, res, key);
    }
    case 'POST':
      if (sub === 'uploads') return () => createMultipartUpload(ctx, call, req, res, key);
      if (sub === undefined && multipart) return () => completeMultipartUpload(ctx, call, req, res, key);
      return undefined;
    case 'DELETE':
      if (sub !== undefined) return undefined;
      return multipart
        ? () => abortMultipartUpload(ctx, call, res, key)
        : () => deleteObject(ctx, call, res, key);
    default:
      return undefined;
  }
}

function notImplemented(what: string): S3Error {
  return new S3Error(
    'NotImplemented',
    `A header or query you provided implies functionality that is not implemented (${what}).`,
  );
}
