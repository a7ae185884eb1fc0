import type { Request, Response } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import type { StoredUpload } from '../../uploads/upload-service.ts';
import type { IngestContext } from './context.ts';
import { uploadQuery } from './params.ts';
import { statusBody } from './status-body.ts';

/**
 * The bytes are durable: make them a file (`?replicas=` copies of it) and answer 201 with its
 * status, after waiting for replicas when `?wait=` asks for them.
 */
export async function answerUpload(
  ctx: IngestContext,
  req: Request,
  res: Response,
  stored: StoredUpload,
): Promise<void> {
  // A client already answered (a deadline passed) must not find its file kept behind its back.
  if (res.headersSent) {
    await ctx.uploads.discard(stored);
    return;
  }
  const { wait, timeoutMs, replicas } = uploadQuery(req.query);
  const file = await ctx.uploads.admit(stored, { replicas });
  const status = await ctx.uploads.statusAfter(file.id, wait, timeoutMs);
  if (!status) throw new AppError('NOT_FOUND', 'file was deleted while uploading');
  res.status(201).location(`/files/${file.id}`).json(statusBody(status));
}
