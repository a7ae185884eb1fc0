import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Joins segments under root and refuses any result outside it (`..`, absolute segments, ...). */
export function pathInside(root: string, ...segments: string[]): string {
  const base = resolve(root);
  const target = resolve(base, ...segments);
  const rel = relative(base, target);
  // `..` as a whole first component escapes; a name that merely starts with dots (`..cache`) does not.
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new Error(`path escapes its store: ${segments.join('/')}`);
  }
  return target;
}
