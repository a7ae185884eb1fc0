import type { ListAfter, S3Object } from './s3-catalog.ts';

/** What a listing asks for: the keys under `prefix`, grouped at `delimiter`, after a marker. */
export interface ListRequest {
  prefix: string;
  /** Empty or undefined: no grouping. */
  delimiter?: string | undefined;
  /** Keys plus common prefixes on one page (S3's max-keys, at most 1000). */
  maxKeys: number;
  after?: ListAfter | undefined;
}

export interface ListPage {
  objects: S3Object[];
  commonPrefixes: string[];
  truncated: boolean;
  /** Where the next page starts, when truncated: the last key or common prefix of this one. */
  next: ListAfter | undefined;
}

/** Reads objects in key order: those under `prefix`, after `after`, at most `limit`. */
export type ObjectSource = (query: {
  prefix: string;
  after: ListAfter | undefined;
  limit: number;
}) => Promise<S3Object[]>;

/** Rows read per query; a page of 1000 keys with common prefixes among them takes a few queries. */
const BATCH = 1000;

/**
 * One page of ListObjects (v1, v2 and versions alike). Keys that share a prefix up to the
 * delimiter count once, as a common prefix, and the source is then asked to resume past that
 * whole prefix, so a folder of a million keys costs one query, not a million rows. `truncated`
 * is exact: the page is cut only when a further key or prefix exists.
 */
export async function listPage(source: ObjectSource, request: ListRequest): Promise<ListPage> {
  const { prefix, maxKeys } = request;
  const delimiter = request.delimiter || undefined;
  const objects: S3Object[] = [];
  const commonPrefixes: string[] = [];
  let after = request.after;
  let entries = 0;
  for (;;) {
    const limit = Math.min(BATCH, maxKeys + 1);
    const rows = await source({ prefix, after, limit });
    let current: string | undefined;
    for (const row of rows) {
      if (current !== undefined && row.key.startsWith(current)) continue;
      const group = delimiter ? commonPrefixOf(row.key, prefix, delimiter) : undefined;
      if (entries === maxKeys) return { objects, commonPrefixes, truncated: true, next: after };
      entries += 1;
      if (group !== undefined) {
        commonPrefixes.push(group);
        current = group;
        after = { key: group, wholePrefix: true };
      } else {
        objects.push(row);
        current = undefined;
        after = { key: row.key, wholePrefix: false };
      }
    }
    if (rows.length < limit) return { objects, commonPrefixes, truncated: false, next: undefined };
  }
}

/** The common prefix a key falls in: the prefix plus everything up to the first delimiter after it. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

/**
 * Where a v1 `marker` (or `start-after`, `key-marker`) resumes. A marker that is itself a
 * common prefix of this listing (rclone and s3cmd pass back NextMarker) resumes past the whole
 * prefix, or its keys would group into the same prefix again.
 */
export function afterMarker(
  marker: string | undefined,
  prefix: string,
  delimiter: string | undefined,
): ListAfter | undefined {
  if (!marker) return undefined;
  const wholePrefix =
    !!delimiter && marker.startsWith(prefix) && commonPrefixOf(marker, prefix, delimiter) === marker;
  return { key: marker, wholePrefix };
}
