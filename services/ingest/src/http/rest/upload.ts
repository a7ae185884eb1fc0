import type { RequestHandler } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { declaredMediaType } from '../../../../../shared/src/http/content-type.ts';
import { declaredLength } from '../../../../../shared/src/http/request-headers.ts';
import { displayName } from '../../uploads/display-name.ts';
import { answerUpload } from './answer-upload.ts';
import type { IngestContext } from './context.ts';
import { uploadQuery } from './params.ts';

/** `PUT /files/<name>`: the raw body is the file. */
export function rawUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const meta = {
      name: displayName(String(req.params.name)),
      contentType: declaredMediaType(req.get('content-type')),
    };
    const stored = await ctx.uploads.store(req, meta);
    await answerUpload(ctx, req, res, stored);
  };
}

/** 413 before reading a byte when Content-Length already says the body is too large. */
export function refuseDeclaredOversize(maxBytes: number, framingBytes = 0): RequestHandler {
  return (req, _res, next) => {
    const declared = declaredLength(req.get('content-length'));
    if (declared !== undefined && declared > maxBytes + framingBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${maxBytes} bytes`);
    }
    next();
  };
}

/** A bad `?wait=`, `?timeout=` or `?replicas=` is refused before the body is read, so it cannot strand a stored blob. */
export const checkUploadQuery: RequestHandler = (req, _res, next) => {
  uploadQuery(req.query);
  next();
};
