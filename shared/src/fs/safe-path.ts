import { isAbsolute, relative, resolve } from 'node:path';

/** Joins segments under root and refuses any result outside it (`..`, absolute segments, ...). */
export function pathInside(root: string, ...segments: string[]): string {
  const base = resolve(root);
  const target = resolve(base, ...segments);
  const rel = relative(base, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`path escapes its store: ${segments.join('/')}`);
  }
  return target;
}
