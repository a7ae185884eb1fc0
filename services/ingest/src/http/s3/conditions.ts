import { S3Error } from './s3-error.ts';

/** The four conditional headers of a read (or, with `x-amz-copy-source-` in front, of a copy's source). */
export interface Conditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

/**
 * What the conditions say about an object with this ETag (unquoted) and modification time, in
 * the order of RFC 9110 §13.2.2 as S3 applies it: If-Match, else If-Unmodified-Since (412);
 * then If-None-Match, else If-Modified-Since (304, or 412 for a copy source).
 */
export function evaluateConditions(
  conditions: Conditions,
  etag: string,
  lastModifiedIso: string,
): 'proceed' | 'not-modified' {
  const modifiedSeconds = Math.floor(Date.parse(lastModifiedIso) / 1000);
  if (conditions.ifMatch !== undefined) {
    if (!etagListMatches(conditions.ifMatch, etag)) throw preconditionFailed('If-Match');
  } else if (conditions.ifUnmodifiedSince !== undefined) {
    const since = dateSeconds(conditions.ifUnmodifiedSince);
    if (since !== undefined && modifiedSeconds > since) throw preconditionFailed('If-Unmodified-Since');
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagListMatches(conditions.ifNoneMatch, etag)) return 'not-modified';
  } else if (conditions.ifModifiedSince !== undefined) {
    const since = dateSeconds(conditions.ifModifiedSince);
    if (since !== undefined && modifiedSeconds <= since) return 'not-modified';
  }
  return 'proceed';
}

/** `"a", W/"b"` or `*`; quotes optional, as some clients leave them out. */
export function etagListMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((candidate) =>
      candidate
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    )
    .some((candidate) => candidate === '*' || candidate === etag);
}

/** An HTTP date in whole seconds; an unparseable one is ignored, as RFC 9110 says. */
function dateSeconds(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function preconditionFailed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });
}
