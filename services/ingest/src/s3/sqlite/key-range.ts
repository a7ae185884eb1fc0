import { keyBytes, prefixEnd } from '../key-order.ts';
import type { ListAfter } from '../s3-catalog.ts';

/** The lower bound of a listing resumed after `after`: exclusive, or past every key it prefixes. */
export function afterBound(after: ListAfter): { key: Buffer; inclusive: boolean } | undefined {
  const key = keyBytes(after.key);
  if (!after.wholePrefix) return { key, inclusive: false };
  const end = prefixEnd(key);
  return end ? { key: end, inclusive: true } : undefined;
}

/** SQL for "starts with prefix" (a byte range) and "after the marker". */
export function keyRange(
  prefix: string,
  after?: { key: Buffer; inclusive: boolean } | undefined,
): { clauses: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (prefix !== '') {
    const start = keyBytes(prefix);
    clauses.push('AND key >= ?');
    params.push(start);
    const end = prefixEnd(start);
    if (end) {
      clauses.push('AND key < ?');
      params.push(end);
    }
  }
  if (after) {
    clauses.push(after.inclusive ? 'AND key >= ?' : 'AND key > ?');
    params.push(after.key);
  }
  return { clauses: clauses.join(' '), params };
}
