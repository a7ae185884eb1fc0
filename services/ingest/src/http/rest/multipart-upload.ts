import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import multer, { type FileFilterCallback } from 'multer';
import { AppError } from '../../../../shared/src/errors.ts';
import { TooLargeError } from '../../../../shared/src/fs/hashing-stream.ts';
import { displayName } from '../display-name.ts';
import { blobStorage, type StoredUpload, type UploadRequest } from '../upload-storage.ts';
import { acceptUpload } from './accept-upload.ts';
import type { IngestContext } from './context.ts';
import { uploadError } from './upload-errors.ts';

/** Fewer parts than fields plus the file, so the part limit is what an over-long form meets. */
const PARTS = 8;
const FIELDS = 8;
const FIELD_BYTES = 4 * 1024;
/** busboy refuses a part header over 16 KiB, so a form's framing is bounded by the limits below. */
const PART_HEADER_BYTES = 16 * 1024;
/** The most a form may add around its file: every part's header, every field, boundaries. */
export const MULTIPART_OVERHEAD_BYTES = PARTS * PART_HEADER_BYTES + FIELDS * FIELD_BYTES + 4 * 1024;

/** Synchronous, as RECIPES.md asks: only field `file` carries a file. */
function onlyFileField(_req: Request, file: Express.Multer.File, callback: FileFilterCallback): void {
  if (file.fieldname === 'file') callback(null, true);
  else callback(new multer.MulterError('LIMIT_UNEXPECTED_FILE', file.fieldname));
}

/** `POST /files`: multipart with the file in field `file`. */
export function multipartUpload(ctx: IngestContext): RequestHandler[] {
  const maxBytes = ctx.config.maxUploadBytes;
  const upload = multer({
    storage: blobStorage(ctx.blobs, maxBytes),
    defParamCharset: 'utf8',
    fileFilter: onlyFileField,
    limits: {
      fileSize: maxBytes,
      files: 1,
      fields: FIELDS,
      fieldSize: FIELD_BYTES,
      fieldNameSize: 200,
      parts: PARTS,
      headerPairs: 100,
      fieldNestingDepth: 1,
      fieldArrayIndexLimit: 0,
    },
  }).single('file');

  const receive: RequestHandler = (req, res, next) => {
    const fileId = randomUUID();
    let settled = false;
    const settle = (err: unknown) => {
      if (settled) {
        // Answered already (a refusal): a file that still completed is nobody's; drop it.
        const late = req.file as (Express.Multer.File & Partial<StoredUpload>) | undefined;
        if (err === undefined && late?.record) void ctx.blobs.remove(fileId);
        return;
      }
      settled = true;
      next(err === undefined ? undefined : uploadError(err));
    };
    (req as UploadRequest).upload = { fileId, refuse: settle };
    onBodyOver(req, maxBytes + MULTIPART_OVERHEAD_BYTES, () => settle(new TooLargeError(maxBytes)));
    upload(req, res, settle);
  };
  const finish: RequestHandler = async (req, res) => {
    const file = req.file as (Express.Multer.File & Partial<StoredUpload>) | undefined;
    if (!file?.record)
      throw new AppError('MISSING_FILE', 'send the file as multipart/form-data in field "file"');
    await acceptUpload(ctx, req, res, {
      record: file.record,
      name: displayName(file.originalname),
      contentType: file.contentType,
    });
  };
  return [receive, finish];
}

/** Bytes outside the file part (preamble, epilogue) are not counted by multer; cap the whole body. */
function onBodyOver(req: Request, maxBytes: number, over: () => void): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) over();
  });
}
