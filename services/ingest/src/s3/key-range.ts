import { keyBytes, prefixEnd } from './key-order.ts';
import type { ListAfter } from './s3-catalog.ts';

/** One condition of a listing on the key's bytes: `key <op> value`. */
export interface KeyBound {
  op: '>=' | '>' | '<';
  value: Buffer;
}

/** The lower bound of a listing resumed after `after`: exclusive, or past every key it prefixes. */
export function afterBound(after: ListAfter): { key: Buffer; inclusive: boolean } | undefined {
  const key = keyBytes(after.key);
  if (!after.wholePrefix) return { key, inclusive: false };
  const end = prefixEnd(key);
  return end ? { key: end, inclusive: true } : undefined;
}

/**
 * "Starts with prefix" (a byte range) and "after the marker" as bounds each adapter writes in
 * its own SQL, comparing bytes (a BLOB in SQLite, a bytea in PostgreSQL).
 */
export function keyBounds(
  prefix: string,
  after?: { key: Buffer; inclusive: boolean } | undefined,
): KeyBound[] {
  const bounds: KeyBound[] = [];
  if (prefix !== '') {
    const start = keyBytes(prefix);
    bounds.push({ op: '>=', value: start });
    const end = prefixEnd(start);
    if (end) bounds.push({ op: '<', value: end });
  }
  if (after) bounds.push({ op: after.inclusive ? '>=' : '>', value: after.key });
  return bounds;
}
