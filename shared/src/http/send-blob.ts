import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import parseRange from 'range-parser';
import { AppError } from '../errors.ts';

export interface BlobToSend {
  size: number;
  sha256: string;
  /** Original name, for Content-Disposition only. */
  name: string;
  /** Opens the bytes, or the inclusive range [start, end]. */
  open(range?: { start: number; end: number }): Readable | Promise<Readable>;
}

/**
 * Answers a download with ETag (the SHA-256), conditional 304, single byte ranges (206/416; a
 * multi-range request gets the whole file, which RFC 9110 allows), and headers that keep a
 * browser from rendering the bytes.
 */
export async function sendBlob(req: Request, res: Response, blob: BlobToSend): Promise<void> {
  const etag = `"${blob.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.attachment(blob.name);
  res.type('application/octet-stream');

  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }

  let range: { start: number; end: number } | undefined;
  const header = req.headers.range;
  if (header !== undefined && ifRangeAllows(req.get('if-range'), etag)) {
    const parsed = parseRange(blob.size, header, { combine: true });
    if (parsed === -1) {
      res.setHeader('Content-Range', `bytes */${blob.size}`);
      throw new AppError('RANGE_NOT_SATISFIABLE', 'range is outside the file');
    }
    if (parsed === -2) throw new AppError('RANGE_NOT_SATISFIABLE', 'malformed Range header');
    if (parsed.type === 'bytes' && parsed.length === 1 && parsed[0]) range = parsed[0];
  }

  const bodyless = req.method === 'HEAD' || blob.size === 0;
  // Open before committing to a status, so a source that fails still gets a proper error answer.
  const body = bodyless ? undefined : await blob.open(range);
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(blob.size));
  }
  if (!body) {
    res.end();
    return;
  }
  await pipeline(body, res);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

function ifRangeAllows(header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag;
}
