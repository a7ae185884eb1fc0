import type { Request, Response } from 'express';
import type { ObjectHeaders, S3Object } from '../../s3/s3-catalog.ts';
import { httpDate } from './respond.ts';
import { S3Error } from './s3-error.ts';

/** S3 allows 2 KB of user metadata (names and values) per object. */
const MAX_METADATA_BYTES = 2048;

/** Request headers asking for something this service does not do; storing without it would be a wrong success. */
const UNSUPPORTED = [
  /^x-amz-server-side-encryption/,
  /^x-amz-tagging$/,
  /^x-amz-object-lock-/,
  /^x-amz-website-redirect-location$/,
];

/** Refuses a write that asks for encryption, tags, object lock or a redirect (NotImplemented). */
export function refuseUnsupportedHeaders(req: Request): void {
  for (const name of Object.keys(req.headers)) {
    if (UNSUPPORTED.some((pattern) => pattern.test(name)))
      throw new S3Error('NotImplemented', `The header ${name} is not supported by this service.`, {
        Header: name,
      });
  }
}

/** What a PutObject or CreateMultipartUpload says the object is served with. */
export function requestObjectHeaders(req: Request): ObjectHeaders {
  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const short = name.slice('x-amz-meta-'.length);
    const text = Array.isArray(value) ? value.join(',') : value;
    metadata[short] = text;
    metadataBytes += Buffer.byteLength(short) + Buffer.byteLength(text);
  }
  if (metadataBytes > MAX_METADATA_BYTES)
    throw new S3Error(
      'MetadataTooLarge',
      `Your metadata headers exceed the maximum allowed metadata size (${MAX_METADATA_BYTES} bytes).`,
    );
  return {
    contentType: req.get('content-type'),
    contentEncoding: storedEncoding(req.get('content-encoding')),
    contentDisposition: req.get('content-disposition'),
    contentLanguage: req.get('content-language'),
    cacheControl: req.get('cache-control'),
    expires: req.get('expires'),
    metadata,
  };
}

/** `aws-chunked` frames the request only; S3 drops it from the stored Content-Encoding. */
function storedEncoding(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const kept = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '' && v.toLowerCase() !== 'aws-chunked');
  return kept.length > 0 ? kept.join(', ') : undefined;
}

/** `response-*` query parameters of a GET override these (presigned downloads use them). */
const OVERRIDES: [query: string, header: string][] = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

/**
 * The headers of a GET or HEAD: what was stored, the ETag and dates, and the dfr file behind the
 * object with its replica count. The stored Content-Type is sent as it was given, as S3 does (the
 * S3 port answers only signed requests; `nosniff` keeps a browser from guessing another type).
 */
export function setObjectHeaders(
  res: Response,
  object: S3Object,
  replicas: number,
  query: Map<string, string>,
): void {
  const { headers } = object;
  res.setHeader('ETag', `"${object.etag}"`);
  res.setHeader('Last-Modified', httpDate(object.lastModified));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', headers.contentType ?? 'binary/octet-stream');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const optional: [string, string | undefined][] = [
    ['Content-Encoding', headers.contentEncoding],
    ['Content-Disposition', headers.contentDisposition],
    ['Content-Language', headers.contentLanguage],
    ['Cache-Control', headers.cacheControl],
    ['Expires', headers.expires],
  ];
  for (const [name, value] of optional) if (value !== undefined) res.setHeader(name, value);
  for (const [name, value] of Object.entries(headers.metadata)) res.setHeader(`x-amz-meta-${name}`, value);
  for (const [param, header] of OVERRIDES) {
    const value = query.get(param);
    if (value !== undefined) res.setHeader(header, value);
  }
  res.setHeader('x-dfr-file-id', object.fileId);
  res.setHeader('x-dfr-replicas', String(replicas));
}
