/** A key as the bytes it sorts by: S3 lists keys in UTF-8 binary order. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/**
 * The smallest byte string greater than every string that starts with `prefix`, or undefined
 * when there is none (the prefix is all 0xff, which UTF-8 never produces). Lets a listing ask
 * for `key >= start AND key < prefixEnd(start)` and skip a whole common prefix in one step.
 */
export function prefixEnd(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end -= 1;
  if (end === 0) return undefined;
  const next = Buffer.from(prefix.subarray(0, end));
  next[end - 1] = (next[end - 1] ?? 0) + 1;
  return next;
}

/** Compares two keys in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(keyBytes(a), keyBytes(b));
}
