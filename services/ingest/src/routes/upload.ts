import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { AppError } from '../../../../shared/src/errors.ts';
import { IntegrityError } from '../../../../shared/src/fs/atomic-write.ts';
import type { BlobRecord } from '../../../../shared/src/fs/blob-store.ts';
import { TooLargeError } from '../../../../shared/src/fs/hashing-stream.ts';
import { displayName } from '../display-name.ts';
import { blobStorage, type RequestWithFileId, type StoredUpload } from '../upload-storage.ts';
import type { IngestContext } from './context.ts';
import { waitQuery } from './params.ts';
import { statusBody } from './status-body.ts';

/** `POST /files`: multipart with the file in field `file`. */
export function multipartUpload(ctx: IngestContext): RequestHandler[] {
  const upload = multer({
    storage: blobStorage(ctx.blobs, ctx.config.maxUploadBytes),
    defParamCharset: 'utf8',
    limits: {
      fileSize: ctx.config.maxUploadBytes,
      files: 1,
      fields: 10,
      fieldSize: 64 * 1024,
      fieldNameSize: 200,
      parts: 12,
      headerPairs: 100,
      fieldNestingDepth: 1,
      fieldArrayIndexLimit: 0,
    },
  }).single('file');

  const receive: RequestHandler = (req, res, next) => {
    rejectDeclaredOversize(req, ctx.config.maxUploadBytes);
    (req as RequestWithFileId).fileId = randomUUID();
    upload(req, res, (err: unknown) => next(err === undefined ? undefined : uploadError(err)));
  };
  const finish: RequestHandler = async (req, res) => {
    const file = req.file as (Express.Multer.File & Partial<StoredUpload>) | undefined;
    if (!file?.record)
      throw new AppError('MISSING_FILE', 'send the file as multipart/form-data in field "file"');
    await accept(ctx, req, res, file.record, displayName(file.originalname));
  };
  return [receive, finish];
}

/** `PUT /files/<name>`: the raw body is the file. */
export function rawUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    rejectDeclaredOversize(req, ctx.config.maxUploadBytes);
    const name = displayName(String(req.params.name));
    const id = randomUUID();
    let record: BlobRecord;
    try {
      record = await ctx.blobs.put(id, req, { maxBytes: ctx.config.maxUploadBytes, name });
    } catch (err) {
      throw uploadError(err);
    }
    await accept(ctx, req, res, record, name);
  };
}

/** The bytes are durable: record the file, send the commands, answer 201. */
async function accept(ctx: IngestContext, req: Request, res: Response, record: BlobRecord, name: string) {
  const { wait, timeoutMs } = waitQuery(req.query);
  const file = { id: record.id, name, size: record.size, sha256: record.sha256, createdAt: record.storedAt };
  try {
    ctx.metadata.addFile(file, ctx.config.nodes);
  } catch (err) {
    await ctx.blobs.remove(record.id);
    throw err;
  }
  ctx.logger.info({ fileId: file.id, size: file.size }, 'file stored');
  // The 201 never waits on the broker: an unpublished command stays due in the outbox.
  void ctx.replication.publishAll('replicate', file, ctx.config.nodes);
  if (wait !== undefined && wait > 0) await ctx.replication.waitForReplicas(file.id, wait, timeoutMs);
  const status = ctx.metadata.getFile(file.id);
  if (!status) throw new AppError('NOT_FOUND', 'file was deleted while uploading');
  res.status(201).location(`/files/${file.id}`).json(statusBody(status));
}

function rejectDeclaredOversize(req: Request, maxBytes: number): void {
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes + multipartOverheadBytes(req)) {
    req.resume();
    throw new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${maxBytes} bytes`);
  }
}

/** Multipart framing adds bytes around the file; allow for it before refusing on Content-Length. */
function multipartOverheadBytes(req: Request): number {
  return req.is('multipart/form-data') ? 64 * 1024 : 0;
}

function uploadError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof TooLargeError)
    return new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${err.limitBytes} bytes`);
  if (err instanceof IntegrityError) return new AppError('BAD_REQUEST', err.message);
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') return new AppError('PAYLOAD_TOO_LARGE', 'file is too large');
    return new AppError('MALFORMED_UPLOAD', `malformed upload: ${err.code}`);
  }
  if (isClientAbort(err))
    return new AppError('CLIENT_CLOSED', 'client closed the connection during the upload');
  if (err instanceof Error && /multipart|boundary|Unexpected end of form/i.test(err.message)) {
    return new AppError('MALFORMED_UPLOAD', 'malformed multipart body');
  }
  return err;
}

function isClientAbort(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNABORTED')
  );
}
