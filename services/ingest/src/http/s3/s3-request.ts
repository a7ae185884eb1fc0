import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { S3Error } from './s3-error.ts';
import { queryPairs } from './sigv4/uri-encode.ts';
import { type S3Credentials, type VerifiedRequest, verifyRequest } from './sigv4/verify-request.ts';

/** One S3 call: what it addresses (path style: `/<bucket>/<key>`) and how it was signed. */
export interface S3Call {
  bucket: string | undefined;
  key: string | undefined;
  /** Decoded query parameters; a repeated name keeps its last value. */
  query: Map<string, string>;
  verified: VerifiedRequest;
  requestId: string;
  /** `/<bucket>/<key>` for error answers. */
  resource: string;
}

/** S3 limits keys to 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/** Reads the address and checks the signature; throws the S3Error a client expects. */
export function parseCall(
  req: Request,
  res: Response,
  credentials: S3Credentials,
  nowMs = Date.now(),
): S3Call {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', requestId);
  res.setHeader('Server', 'dfr');
  const url = req.originalUrl;
  const questionMark = url.indexOf('?');
  const rawPath = questionMark < 0 ? url : url.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? '' : url.slice(questionMark + 1);
  const query = new Map(decodeOr(() => queryPairs(rawQuery)));
  const { bucket, key } = decodeOr(() => addressOf(rawPath));
  const verified = verifyRequest(
    { method: req.method, rawPath, rawQuery, rawHeaders: req.rawHeaders, headers: req.headers, query },
    credentials,
    nowMs,
  );
  if (key !== undefined && Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new S3Error('KeyTooLongError', 'Your key is too long');
  return { bucket, key, query, verified, requestId, resource: rawPath };
}

/** `/` (the service), `/<bucket>` or `/<bucket>/` (the bucket), `/<bucket>/<key>` (an object). */
function addressOf(rawPath: string): { bucket: string | undefined; key: string | undefined } {
  const path = rawPath.replace(/^\/+/, '');
  if (path === '') return { bucket: undefined, key: undefined };
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  return { bucket, key: rest === '' ? undefined : decodeURIComponent(rest) };
}

function decodeOr<T>(decode: () => T): T {
  try {
    return decode();
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
  }
}
