import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../../../shared/src/errors.ts';
import type { BlobRecord } from '../../../../shared/src/fs/blob-store.ts';
import { declaredMediaType } from '../../../../shared/src/http/content-type.ts';
import { readBody } from '../../../../shared/src/http/read-body.ts';
import { declaredLength } from '../../../../shared/src/http/request-headers.ts';
import { displayName } from '../display-name.ts';
import { acceptUpload } from './accept-upload.ts';
import type { IngestContext } from './context.ts';
import { waitQuery } from './params.ts';
import { uploadError } from './upload-errors.ts';

/**
 * A body that Content-Length declares this small is read into memory and stored with the other
 * small uploads of the moment (SmallFileWriter); larger or chunked bodies stream to disk.
 */
const SMALL_UPLOAD_BYTES = 64 * 1024;

/** `PUT /files/<name>`: the raw body is the file. */
export function rawUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const name = displayName(String(req.params.name));
    const options = { maxBytes: ctx.config.maxUploadBytes, name };
    const declared = declaredLength(req.get('content-length'));
    const id = randomUUID();
    let record: BlobRecord;
    let bytes: Buffer | undefined;
    try {
      if (declared !== undefined && declared <= SMALL_UPLOAD_BYTES) {
        bytes = await readBody(req, declared);
        record = await ctx.smallFiles.put(id, bytes, options);
      } else {
        record = await ctx.blobs.put(id, req, options);
      }
    } catch (err) {
      throw uploadError(err);
    }
    await acceptUpload(ctx, req, res, {
      record,
      name,
      contentType: declaredMediaType(req.get('content-type')),
      ...(bytes ? { bytes } : {}),
    });
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

/** A bad `?wait=`/`?timeout=` is refused before the body is read, so it cannot strand a stored blob. */
export const checkUploadQuery: RequestHandler = (req, _res, next) => {
  waitQuery(req.query);
  next();
};
