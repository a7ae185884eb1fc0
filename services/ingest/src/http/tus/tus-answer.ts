import type { Response } from 'express';
import type { PartialUpload } from '../../uploads/resumable/partial-upload-store.ts';
import { httpDate } from './tus-protocol.ts';

/** The header that names the file a finished upload became (API.md, "tus"). */
export const FILE_ID_HEADER = 'x-dfr-file-id';

/**
 * The headers that describe an upload: where it stands, when it expires and, once it is a file,
 * which file, with a Link to that file's status. The upload's own URL stays the Location (tus
 * clients keep it to resume); the file's status is a link from it, not a redirect.
 */
export function describeUpload(res: Response, upload: PartialUpload): void {
  res.setHeader('Upload-Offset', String(upload.offset));
  res.setHeader('Upload-Length', String(upload.length));
  if (upload.finishedAt && upload.fileId) {
    res.setHeader(FILE_ID_HEADER, upload.fileId);
    res.setHeader('Link', `</files/${upload.fileId}/status>; rel="describedby"`);
  } else {
    res.setHeader('Upload-Expires', httpDate(upload.expiresAt));
  }
}

/** Where the upload is: the URL a tus client keeps to resume it. */
export function uploadLocation(upload: PartialUpload): string {
  return `/uploads/${upload.id}`;
}
