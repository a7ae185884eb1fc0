import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { AppError } from '../errors.ts';
import { chooseRange } from './byte-range.ts';
import { attachmentDisposition } from './content-disposition.ts';
import { servedContentType } from './content-type.ts';

export interface BlobToSend {
  size: number;
  sha256: string;
  /** Original name, for Content-Disposition only. */
  name: string;
  /** The media type declared at upload; served only when passive (see servedContentType). */
  contentType?: string | undefined;
  /** Opens the bytes, or the inclusive range [start, end]. */
  open(range?: { start: number; end: number }): Readable | Promise<Readable>;
  /**
   * Writes the bytes [start, end] to the response itself, without ending it; when given, it is
   * used instead of `open` (see pumpFile).
   */
  pump?(range: { start: number; end: number }, res: Response): Promise<void>;
}

/**
 * Answers a download with ETag (the SHA-256), conditional 304, single byte ranges (206/416; a
 * multi-range request gets the whole file, which RFC 9110 allows), and headers that keep a
 * browser from rendering the bytes: attachment, nosniff, and a passive Content-Type only.
 */
export async function sendBlob(req: Request, res: Response, blob: BlobToSend): Promise<void> {
  const etag = `"${blob.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Content-Disposition', attachmentDisposition(blob.name));
  res.setHeader('Content-Type', servedContentType(blob.contentType));

  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }

  const choice = ifRangeAllows(req.get('if-range'), etag)
    ? chooseRange(blob.size, req.headers.range)
    : ({ kind: 'whole' } as const);
  if (choice.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${blob.size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE', choice.reason);
  }
  const range = choice.kind === 'partial' ? { start: choice.start, end: choice.end } : undefined;

  const bodyless = req.method === 'HEAD' || blob.size === 0;
  // Open before committing to a status, so a source that fails still gets a proper error answer.
  const body = bodyless || blob.pump ? undefined : await blob.open(range);
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(blob.size));
  }
  if (blob.pump && !bodyless) {
    await blob.pump(range ?? { start: 0, end: blob.size - 1 }, res);
    res.end();
    return;
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
