import type { Readable } from 'node:stream';
import { AppError } from '../../../../../shared/src/errors.ts';
import type { S3Object } from '../../s3/s3-catalog.ts';
import type { FileStatus } from '../../store/metadata-store.ts';
import type { S3Context } from './s3-context.ts';
import { S3Error } from './s3-error.ts';

/** The bucket, or NoSuchBucket. */
export async function requireBucket(ctx: S3Context, bucket: string): Promise<void> {
  if (!(await ctx.catalog.getBucket(bucket)))
    throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
}

/** The object with its file, or NoSuchBucket / NoSuchKey (also when its file was deleted through /files). */
export async function requireObject(
  ctx: S3Context,
  bucket: string,
  key: string,
  versionId?: string | undefined,
): Promise<{ object: S3Object; file: FileStatus }> {
  if (versionId !== undefined && versionId !== 'null')
    throw new S3Error('NoSuchVersion', 'The specified version does not exist.', {
      Key: key,
      VersionId: versionId,
    });
  const object = await ctx.catalog.getObject(bucket, key);
  if (!object) {
    await requireBucket(ctx, bucket);
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  const file = await ctx.metadata.getFile(object.fileId);
  if (!file) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  return { object, file };
}

/**
 * An object's bytes (or the inclusive range), from the main copy, verified as it streams when
 * whole, or from a node holding a verified replica while the main copy is repaired: the same
 * sources as a download from `/files/<id>`.
 */
export async function openObjectBytes(
  ctx: S3Context,
  file: FileStatus,
  range?: { start: number; end: number },
): Promise<Readable> {
  try {
    return await ctx.mainCopies.openForReading(file, range);
  } catch (err) {
    if (
      err instanceof AppError &&
      (err.code === 'NOT_FOUND' || err.code === 'NOT_READY' || err.code === 'BAD_GATEWAY')
    )
      throw new S3Error('ServiceUnavailable', 'No readable copy of this object is available now; try again.');
    throw err;
  }
}
