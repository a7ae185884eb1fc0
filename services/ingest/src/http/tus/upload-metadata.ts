import { AppError } from '../../../../../shared/src/errors.ts';

const KEY = /^[^\s,]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Upload-Metadata: comma-separated `key base64value` pairs, keys unique and free of spaces and
 * commas, a value possibly empty (and then its space too). Values are decoded as UTF-8; 400 for
 * anything else, since a header we cannot read is a client's mistake worth telling it about.
 */
export function parseUploadMetadata(header: string | undefined): Map<string, string> {
  const metadata = new Map<string, string>();
  if (header === undefined || header.trim() === '') return metadata;
  for (const pair of header.split(',')) {
    const [key = '', value = '', ...rest] = pair.trim().split(' ');
    if (!KEY.test(key) || rest.length > 0 || !BASE64.test(value)) {
      throw new AppError('BAD_REQUEST', 'Upload-Metadata must be comma-separated "key base64value" pairs');
    }
    if (metadata.has(key)) throw new AppError('BAD_REQUEST', `Upload-Metadata names ${key} twice`);
    metadata.set(key, Buffer.from(value, 'base64').toString('utf8'));
  }
  return metadata;
}
