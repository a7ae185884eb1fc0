import type { Request, Response } from 'express';
import { AppError } from '../../../../shared/src/errors.ts';
import type { BlobRecord } from '../../../../shared/src/fs/blob-store.ts';
import type { FileRecord } from '../metadata-store.ts';
import type { IngestContext } from './context.ts';
import { waitQuery } from './params.ts';
import { statusBody } from './status-body.ts';

export interface ReceivedUpload {
  record: BlobRecord;
  /** Already reduced by displayName. */
  name: string;
  contentType: string | undefined;
  /** The bytes, when the upload was read into memory rather than streamed. */
  bytes?: Buffer;
}

/** The bytes are durable: record the file, send the commands, answer 201. */
export async function acceptUpload(
  ctx: IngestContext,
  req: Request,
  res: Response,
  upload: ReceivedUpload,
): Promise<void> {
  const { record } = upload;
  // A client already answered (a deadline passed) must not find its file kept behind its back.
  if (res.headersSent) {
    await ctx.blobs.remove(record.id);
    return;
  }
  const { wait, timeoutMs } = waitQuery(req.query);
  const file: FileRecord = {
    id: record.id,
    name: upload.name,
    size: record.size,
    sha256: record.sha256,
    createdAt: record.storedAt,
    contentType: upload.contentType,
  };
  try {
    await ctx.admissions.addFile(file, ctx.config.nodes);
  } catch (err) {
    await ctx.blobs.remove(record.id);
    throw err;
  }
  ctx.logger.info({ fileId: file.id, size: file.size }, 'file stored');
  // The 201 never waits on the broker: an unpublished command stays due in the outbox.
  void ctx.replication.publishAll('replicate', file, ctx.config.nodes, upload.bytes);
  if (wait !== undefined && wait > 0) await ctx.replication.waitForReplicas(file.id, wait, timeoutMs);
  const status = ctx.metadata.getFile(file.id);
  if (!status) throw new AppError('NOT_FOUND', 'file was deleted while uploading');
  res.status(201).location(`/files/${file.id}`).json(statusBody(status));
}
