import type { Request } from 'express';
import type { S3Object } from '../../s3/s3-catalog.ts';
import type { FileStatus } from '../../store/metadata-store.ts';
import { evaluateConditions } from './conditions.ts';
import { requireObject } from './object-bytes.ts';
import type { S3Context } from './s3-context.ts';
import { S3Error } from './s3-error.ts';

/**
 * The object `x-amz-copy-source` names (`[/]<bucket>/<key>[?versionId=null]`, percent-encoded),
 * after its `x-amz-copy-source-if-*` conditions held (412 otherwise, as S3 answers copies).
 */
export async function copySource(
  ctx: S3Context,
  req: Request,
): Promise<{ object: S3Object; file: FileStatus }> {
  const header = req.get('x-amz-copy-source') ?? '';
  const [path = '', query = ''] = header.split('?');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\/+/, '');
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', {
      ArgumentName: 'x-amz-copy-source',
    });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1)
    throw new S3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      {
        ArgumentName: 'x-amz-copy-source',
      },
    );
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  const source = await requireObject(ctx, decoded.slice(0, slash), decoded.slice(slash + 1), versionId);
  const verdict = evaluateConditions(
    {
      ifMatch: req.get('x-amz-copy-source-if-match'),
      ifNoneMatch: req.get('x-amz-copy-source-if-none-match'),
      ifModifiedSince: req.get('x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: req.get('x-amz-copy-source-if-unmodified-since'),
    },
    source.object.etag,
    source.object.lastModified,
  );
  if (verdict === 'not-modified')
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  return source;
}

/** `x-amz-copy-source-range: bytes=<first>-<last>` of UploadPartCopy, inside the source. */
export function copySourceRange(req: Request, size: number): { start: number; end: number } | undefined {
  const header = req.get('x-amz-copy-source-range');
  if (header === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || start > end || end >= size)
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      {
        ArgumentName: 'x-amz-copy-source-range',
      },
    );
  return { start, end };
}
