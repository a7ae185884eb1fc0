import type { Request, Response } from 'express';
import { TooLargeError } from '../../../../../shared/src/fs/hashing-stream.ts';
import { readBody } from '../../../../../shared/src/http/read-body.ts';
import { acceptBody } from './body-rules.ts';
import { requestPayload } from './request-payload.ts';
import type { S3Context } from './s3-context.ts';
import { S3Error } from './s3-error.ts';
import type { S3Call } from './s3-request.ts';

/** S3 takes at most 1000 keys per DeleteObjects; their XML fits well within this. */
const MAX_XML_BYTES = 2 * 1024 * 1024;

/** The XML body of a DeleteObjects or CompleteMultipartUpload, with its digests and checksums checked. */
export async function readXmlBody(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
): Promise<string> {
  const payload = requestPayload(req, call.verified.payload);
  acceptBody(req, res, call, MAX_XML_BYTES, ctx.requestTimeoutMs);
  try {
    return (await readBody(payload.body, MAX_XML_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof TooLargeError)
      throw new S3Error('MaxMessageLengthExceeded', 'Your request was too big.', {}, { cause: err });
    throw err;
  }
}
