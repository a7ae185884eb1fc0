import type { RequestHandler } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { declaredMediaType } from '../../../../../shared/src/http/content-type.ts';
import { inviteBody } from '../../../../../shared/src/http/expect-continue.ts';
import { displayName } from '../../uploads/display-name.ts';
import type { IngestContext } from '../rest/context.ts';
import { describeUpload, uploadLocation } from './tus-answer.ts';
import { bodyLength, requireOffsetStream, unsignedHeader } from './tus-protocol.ts';
import { parseUploadChecksum } from './upload-checksum.ts';
import { parseUploadMetadata } from './upload-metadata.ts';

/**
 * `POST /uploads/` (creation, creation-with-upload): a new upload of Upload-Length bytes named
 * by Upload-Metadata's `filename` and `filetype`; a body of upload bytes is its first chunk.
 */
export function createUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    if (req.get('upload-defer-length') !== undefined) {
      throw new AppError('BAD_REQUEST', 'Upload-Defer-Length is not supported: send Upload-Length');
    }
    const length = unsignedHeader(req, 'Upload-Length');
    const clientMetadata = req.get('upload-metadata') || undefined;
    const metadata = parseUploadMetadata(clientMetadata);
    const declaredBytes = bodyLength(req);
    if (declaredBytes !== 0) requireOffsetStream(req);
    const checksum = declaredBytes !== 0 ? parseUploadChecksum(req.get('upload-checksum')) : undefined;
    const created = await ctx.resumableUploads.create({
      length,
      name: displayName(metadata.get('filename')),
      contentType: declaredMediaType(metadata.get('filetype')),
      clientMetadata,
    });
    // Set before the first chunk is read, so a client whose chunk is refused still learns the URL.
    res.location(uploadLocation(created));
    const upload =
      declaredBytes === 0
        ? created
        : await ctx.resumableUploads.append(created.id, 0, req, {
            declaredBytes,
            checksum,
            beforeBody: () => inviteBody(req, res),
          });
    describeUpload(res, upload);
    res.status(201).end();
  };
}

/** `HEAD /uploads/<id>`: where the upload stands, and its file once it is one. */
export function headUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const upload = await ctx.resumableUploads.status(String(req.params.id));
    describeUpload(res, upload);
    if (upload.clientMetadata) res.setHeader('Upload-Metadata', upload.clientMetadata);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).end();
  };
}

/** `PATCH /uploads/<id>`: the bytes at Upload-Offset, checked against Upload-Checksum when sent. */
export function patchUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    requireOffsetStream(req);
    const offset = unsignedHeader(req, 'Upload-Offset');
    const checksum = parseUploadChecksum(req.get('upload-checksum'));
    const upload = await ctx.resumableUploads.append(String(req.params.id), offset, req, {
      declaredBytes: bodyLength(req),
      checksum,
      beforeBody: () => inviteBody(req, res),
    });
    describeUpload(res, upload);
    res.status(204).end();
  };
}

/** `DELETE /uploads/<id>` (termination): the upload and its bytes go; a file it became stays. */
export function terminateUpload(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    await ctx.resumableUploads.terminate(String(req.params.id));
    res.status(204).end();
  };
}
