import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathInside } from '../../shared/src/fs/safe-path.ts';

const root = resolve('/srv/dfr/store');

describe('pathInside', () => {
  it('joins segments under the root', () => {
    expect(pathInside(root, 'ab', 'abcdef')).toBe(join(root, 'ab', 'abcdef'));
    expect(pathInside(`${root}/`, 'x.json')).toBe(join(root, 'x.json'));
    expect(pathInside(root, 'a/../b')).toBe(join(root, 'b'));
    expect(pathInside(root, '..hidden')).toBe(join(root, '..hidden'));
  });

  it.each([
    ['`..`', ['..']],
    ['`..` after a name', ['ab', '..', '..', 'etc']],
    ['`..` inside a segment', ['ab/../../etc/passwd']],
    ['an absolute segment', ['/etc/passwd']],
    ['an absolute segment after a name', ['ab', '/etc']],
    ['an empty segment', ['']],
    ['no segment', []],
    ['`.`', ['.']],
    ['a path back to the root', ['ab', '..']],
    ['a sibling with the root as prefix', ['../store-evil/x']],
  ])('refuses %s', (_case, segments) => {
    expect(() => pathInside(root, ...segments)).toThrow(/escapes its store/);
  });

  it('returns a path strictly under the root, or throws', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', '/', 'a', 'ab', '..a', '/etc', 'store', '../store-x', '\\..'),
      fc.stringMatching(/^[a-z./\\-]{0,12}$/),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        let result: string;
        try {
          result = pathInside(root, ...segments);
        } catch {
          return;
        }
        const rel = relative(root, result);
        expect(result.startsWith(`${root}${sep}`)).toBe(true);
        expect(rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)).toBe(false);
      }),
    );
  });
});
