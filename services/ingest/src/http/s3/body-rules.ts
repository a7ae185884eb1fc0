import type { Request, Response } from 'express';
import { declaredLength } from '../../../../../shared/src/http/request-headers.ts';
import type { WriteCondition } from '../../s3/s3-catalog.ts';
import { sendS3Error } from './respond.ts';
import { S3Error } from './s3-error.ts';
import type { S3Call } from './s3-request.ts';

/**
 * Refuses, before a byte is read, a body declared larger than `maxBytes` (Content-Length, or
 * x-amz-decoded-content-length for aws-chunked), then invites the body of a client that sent
 * `Expect: 100-continue`, and gives it `timeoutMs` to arrive in full (RequestTimeout after that,
 * which fails the stream still reading it).
 */
export function acceptBody(
  req: Request,
  res: Response,
  call: S3Call,
  maxBytes: number,
  timeoutMs: number,
): void {
  const chunked = call.verified.payload.kind === 'chunked';
  const declared = declaredLength(req.get(chunked ? 'x-amz-decoded-content-length' : 'content-length'));
  if (declared !== undefined && declared > maxBytes)
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: String(declared),
      MaxSizeAllowed: String(maxBytes),
    });
  if (/\b100-continue\b/i.test(req.get('expect') ?? '')) res.writeContinue();
  const timer = setTimeout(() => {
    if (req.complete || res.headersSent) return;
    sendS3Error(
      req,
      res,
      new S3Error('RequestTimeout', `The request body did not arrive within ${timeoutMs} ms.`),
      call.resource,
    );
  }, timeoutMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once('end', clear);
  res.once('close', clear);
}

/** A request that must not carry a body (CopyObject, UploadPartCopy). */
export function refuseBody(req: Request): void {
  const length = declaredLength(req.get('content-length'));
  if ((length !== undefined && length > 0) || req.get('transfer-encoding'))
    throw new S3Error('InvalidRequest', 'This operation does not take a request body.');
}

/** `If-None-Match: *` (create only) or `If-Match: <etag>` on a write. */
export function writeCondition(req: Request): WriteCondition | undefined {
  const ifNoneMatch = req.get('if-none-match');
  const ifMatch = req.get('if-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*')
      throw new S3Error('NotImplemented', 'A write takes If-None-Match only as "*".', {
        Header: 'If-None-Match',
      });
    return { ifNoneMatch: true };
  }
  if (ifMatch !== undefined) return { ifMatch: ifMatch.trim().replace(/^"(.*)"$/, '$1') };
  return undefined;
}

/** The S3 error for a write that did not happen. */
export function refusedWrite(
  outcome: 'no-bucket' | 'precondition-failed' | 'no-upload',
  bucket: string,
): S3Error {
  if (outcome === 'no-bucket')
    return new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  if (outcome === 'no-upload')
    return new S3Error(
      'NoSuchUpload',
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
    );
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
}
