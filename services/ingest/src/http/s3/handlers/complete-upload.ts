import type { Request, Response } from 'express';
import { assembleParts, multipartEtag } from '../../../s3/assemble-parts.ts';
import type { UploadPart } from '../../../s3/s3-catalog.ts';
import { refusedWrite, writeCondition } from '../body-rules.ts';
import { answerPatiently } from '../patient-answer.ts';
import type { S3Context } from '../s3-context.ts';
import { S3Error } from '../s3-error.ts';
import type { S3Call } from '../s3-request.ts';
import { readXmlBody } from '../small-body.ts';
import { child, parseXml, text } from '../xml.ts';
import { requireUpload } from './multipart.ts';

const MiB = 1024 * 1024;
/** Every part but the last must be at least this large. */
const MIN_PART_BYTES = 5 * MiB;

/**
 * Completions under way in this process, so one upload is not assembled twice at once. Two
 * instances completing one upload at once both assemble it; the catalog's completion (one
 * transaction, the upload row locked) lets one commit, and the other's file is deleted.
 */
const completing = new Set<string>();

/**
 * CompleteMultipartUpload: the listed parts are checked (ascending, present with those ETags,
 * at least 5 MiB but the last, each held by a live instance), then streamed in order (from here
 * or from the instance holding each part) through the upload service, so the file
 * gets one SHA-256 and replicates like any upload; the object and the end of the upload are one
 * catalog transaction, then every part's bytes go. See assemble-parts.ts for the memory and disk
 * this costs.
 */
export async function completeMultipartUpload(
  ctx: S3Context,
  call: S3Call,
  req: Request,
  res: Response,
  key: string,
): Promise<void> {
  const upload = await requireUpload(ctx, call, key);
  const condition = writeCondition(req);
  const listed = listedParts(await readXmlBody(ctx, call, req, res));
  const parts = await chooseParts(ctx, upload.uploadId, listed);
  const unreachable = await ctx.parts.firstUnreachable(parts);
  if (unreachable)
    throw new S3Error(
      'ServiceUnavailable',
      `Part ${unreachable.partNumber} is held by another ingest instance that cannot be reached now; try again later.`,
    );
  if (completing.has(upload.uploadId))
    throw new S3Error(
      'OperationAborted',
      'A conflicting operation is currently in progress against this upload.',
    );
  completing.add(upload.uploadId);
  try {
    await answerPatiently(res, ctx.logger, async () => {
      const size = parts.reduce((sum, part) => sum + part.size, 0);
      if (size > ctx.maxUploadBytes)
        throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      const stored = await ctx.objects.store(key, assembleParts(ctx.parts, parts), upload.headers);
      const fields = {
        bucket: upload.bucket,
        key,
        etag: multipartEtag(parts),
        headers: upload.headers,
        checksum: undefined,
      };
      const published = await ctx.objects.publish(stored, fields, (object) =>
        ctx.catalog.completeUpload(upload.uploadId, object, condition),
      );
      if (published.outcome !== 'stored') throw refusedWrite(published.outcome, upload.bucket);
      await ctx.parts.removeUpload(upload.uploadId, published.parts);
      return {
        root: 'CompleteMultipartUploadResult',
        body: {
          Location: `/${upload.bucket}/${encodeURI(key)}`,
          Bucket: upload.bucket,
          Key: key,
          ETag: `"${published.object.etag}"`,
        },
      };
    });
  } finally {
    completing.delete(upload.uploadId);
  }
}

/** `<Part><PartNumber>n</PartNumber><ETag>"..."</ETag></Part>...` in the order given. */
function listedParts(xml: string): { partNumber: number; etag: string }[] {
  const document = child(parseXml(xml), 'CompleteMultipartUpload');
  const parts = child(document, 'Part');
  if (!Array.isArray(parts) || parts.length === 0)
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  return parts.map((part) => {
    const number = Number(text(child(part, 'PartNumber'))?.trim());
    const etag = text(child(part, 'ETag'))
      ?.trim()
      .replace(/^"(.*)"$/, '$1');
    if (!Number.isInteger(number) || etag === undefined)
      throw new S3Error(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema.',
      );
    return { partNumber: number, etag };
  });
}

async function chooseParts(
  ctx: S3Context,
  uploadId: string,
  listed: { partNumber: number; etag: string }[],
): Promise<UploadPart[]> {
  const stored = new Map((await ctx.catalog.listParts(uploadId, 0, 10_000)).map((p) => [p.partNumber, p]));
  let previous = 0;
  const chosen: UploadPart[] = [];
  for (const { partNumber, etag } of listed) {
    if (partNumber <= previous)
      throw new S3Error(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
    previous = partNumber;
    const part = stored.get(partNumber);
    if (!part || part.etag !== etag)
      throw new S3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
        { PartNumber: String(partNumber), ETag: etag },
      );
    chosen.push(part);
  }
  for (const part of chosen.slice(0, -1)) {
    if (part.size < MIN_PART_BYTES)
      throw new S3Error(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        {
          PartNumber: String(part.partNumber),
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
        },
      );
  }
  return chosen;
}
