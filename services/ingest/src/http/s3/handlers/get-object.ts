import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { chooseRange } from '../../../../../../shared/src/http/byte-range.ts';
import { evaluateConditions } from '../conditions.ts';
import { openObjectBytes, requireObject } from '../object-bytes.ts';
import { setObjectHeaders } from '../object-headers.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';

/**
 * GetObject and HeadObject: the stored headers, conditions (If-Match, If-None-Match,
 * If-Modified-Since, If-Unmodified-Since), one byte range, and the file behind the object
 * (`x-dfr-file-id`, `x-dfr-replicas`).
 */
export async function getObject(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  if (call.query.has('partNumber'))
    throw new S3Error('NotImplemented', 'GetObject by partNumber is not supported; use a Range.');
  const { object, file } = await requireObject(ctx, String(call.bucket), key, call.query.get('versionId'));
  setObjectHeaders(res, object, file.replicas, call.query);
  const verdict = evaluateConditions(
    {
      ifMatch: req.get('if-match'),
      ifNoneMatch: req.get('if-none-match'),
      ifModifiedSince: req.get('if-modified-since'),
      ifUnmodifiedSince: req.get('if-unmodified-since'),
    },
    object.etag,
    object.lastModified,
  );
  if (verdict === 'not-modified') {
    res.status(304).end();
    return;
  }
  const ifRange = req.get('if-range');
  const rangeHeader =
    ifRange === undefined || ifRange.trim() === `"${object.etag}"` ? req.headers.range : undefined;
  const choice = chooseRange(object.size, rangeHeader);
  if (choice.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${object.size}`);
    throw new S3Error('InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: String(rangeHeader),
      ActualObjectSize: String(object.size),
    });
  }
  const range = choice.kind === 'partial' ? { start: choice.start, end: choice.end } : undefined;
  if (!range && object.checksum && req.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED')
    res.setHeader(`x-amz-checksum-${object.checksum.algorithm}`, object.checksum.value);
  const body =
    req.method === 'HEAD' || object.size === 0 ? undefined : await openObjectBytes(ctx, file, range);
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${object.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(object.size));
  }
  if (!body) {
    res.end();
    return;
  }
  await pipeline(body, res);
}
