import type { Request, Response } from 'express';
import type { S3Error } from './s3-error.ts';
import { type XmlElement, xmlDocument } from './xml.ts';

/** Answers 200 (or `status`) with an S3 XML document. */
export function sendXml(res: Response, root: string, body: XmlElement, status = 200): void {
  const xml = xmlDocument(root, body);
  res.status(status).type('application/xml').setHeader('Content-Length', Buffer.byteLength(xml));
  res.end(xml);
}

/**
 * Answers with S3's `<Error>` document (HEAD: the status alone, as S3 does). An answer already
 * under way is cut, so the client sees it incomplete.
 */
export function sendS3Error(req: Request, res: Response, error: S3Error, resource: string): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  for (const header of [
    'Content-Length',
    'ETag',
    'Last-Modified',
    'Accept-Ranges',
    'Content-Range',
    'Content-Encoding',
  ])
    res.removeHeader(header);
  for (const name of res.getHeaderNames())
    if (/^(x-amz-meta-|x-dfr-|x-amz-checksum-)/.test(name)) res.removeHeader(name);
  const bodyUnread = bodyPending(req);
  // lingering close: refused before its body was read, the connection closes after the answer;
  // wire the shared lingering close in here once it lands, so the client is not reset.
  if (bodyUnread) res.setHeader('Connection', 'close');
  res.status(error.status);
  if (req.method === 'HEAD') res.end();
  else {
    const xml = xmlDocument(
      'Error',
      {
        Code: error.code,
        Message: error.message,
        ...error.details,
        Resource: resource,
        RequestId: String(res.getHeader('x-amz-request-id') ?? ''),
      },
      false,
    );
    res.type('application/xml').setHeader('Content-Length', Buffer.byteLength(xml));
    res.end(xml);
  }
  if (bodyUnread) abandonBody(req, error);
}

/** True while body bytes may still arrive; a bodiless GET counts as complete before Node says so. */
function bodyPending(req: Request): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A route still reading the body (a part being written) would wait forever once the answer is
 * out; fail the body instead, detached from the socket first so the answer is not cut (as the
 * REST front end's error handler does).
 */
function abandonBody(req: Request, reason: Error): void {
  if (req.destroyed) return;
  (req as { socket: unknown }).socket = null;
  req.destroy(reason);
}

/** RFC 7231 date of an ISO timestamp, for Last-Modified. */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** S3's timestamps in XML: ISO 8601 with milliseconds. */
export function xmlDate(iso: string): string {
  return new Date(iso).toISOString();
}
