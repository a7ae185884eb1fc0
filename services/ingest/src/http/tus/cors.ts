import type { RequestHandler } from 'express';

/** What a page may read of an answer: the tus headers and where the finished file is. */
const EXPOSED = [
  'Location',
  'Link',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Expires',
  'Upload-Metadata',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  'x-dfr-file-id',
];

/** What a page may send: the tus request headers, the token, and what tus-js-client and Uppy add. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Offset',
  'Upload-Checksum',
  'X-Requested-With',
  'X-Request-ID',
];

const METHODS = ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Lets browser pages on any origin use the uploads, as Uppy needs. Any origin is safe here: the
 * API token travels in Authorization, which a page has to be given, never in a cookie a browser
 * would attach by itself. Every answer, errors included, carries the exposure headers, so a page
 * can read why it was refused.
 */
export const corsHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED.join(', '));
  next();
};

/** Headers of the answer to a preflight (OPTIONS with Access-Control-Request-Method). */
export function setPreflightHeaders(res: Parameters<RequestHandler>[1]): void {
  res.setHeader('Access-Control-Allow-Methods', METHODS.join(', '));
  res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS.join(', '));
  res.setHeader('Access-Control-Max-Age', '86400');
}
