import type { Request, RequestHandler } from 'express';
import multer, { type FileFilterCallback } from 'multer';
import { AppError } from '../../../../../shared/src/errors.ts';
import { TooLargeError } from '../../../../../shared/src/fs/hashing-stream.ts';
import { answerUpload } from './answer-upload.ts';
import type { IngestContext } from './context.ts';
import { multipartError } from './multipart-errors.ts';
import { type UploadRequest, uploadStorage } from './multipart-storage.ts';

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
    storage: uploadStorage(ctx.uploads, maxBytes),
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
    let settled = false;
    const state: UploadRequest['upload'] = {
      refuse: (err) => settle(err),
    };
    const settle = (err: unknown) => {
      if (settled) {
        // Answered already (a refusal): a file that still completed is nobody's; drop it.
        const late = state?.stored;
        if (err === undefined && late) {
          state.stored = undefined;
          ctx.background.run('dropping an upload answered otherwise', () => ctx.uploads.discard(late));
        }
        return;
      }
      settled = true;
      next(err === undefined ? undefined : multipartError(err));
    };
    (req as UploadRequest).upload = state;
    onBodyOver(req, maxBytes + MULTIPART_OVERHEAD_BYTES, () => settle(new TooLargeError(maxBytes)));
    upload(req, res, settle);
  };
  const finish: RequestHandler = async (req, res) => {
    const state = (req as UploadRequest).upload;
    const stored = state?.stored;
    if (!stored) throw new AppError('MISSING_FILE', 'send the file as multipart/form-data in field "file"');
    state.stored = undefined;
    await answerUpload(ctx, req, res, stored);
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
