import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

export const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');

export const randomData = (size: number): Buffer => randomBytes(size);

/** An object's bytes (or a range of them) through GetObject. */
export async function objectBytes(
  s3: S3Client,
  bucket: string,
  key: string,
  extra: Partial<GetObjectCommandInput> = {},
): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
}

/** The S3 error code an SDK call fails with, or 'no error'. */
export async function errorCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'no error';
  } catch (err) {
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    // A bodiless answer (HEAD, 304) has no code to parse: its status stands for it.
    if (e.name === 'Unknown' || e.name === undefined) return String(e.$metadata?.httpStatusCode);
    return e.Code ?? e.name;
  }
}
