import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName } from '../../services/ingest/src/uploads/display-name.ts';

const anyName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc
    .array(
      fc.constantFrom('..', '.', '/', '\\', 'a', 'é', '\u0000', '\u001b', '\u202e', '\ud800', ' ', 'C:'),
      {
        maxLength: 30,
      },
    )
    .map((parts) => parts.join('')),
);

describe('displayName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['/etc/passwd', 'passwd'],
    ['C:\\Windows\\evil.dll', 'evil.dll'],
    ['dir/', 'file'],
    ['..', 'file'],
    ['.', 'file'],
    ['.\u0001.', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['a\u0000b\r\nc.txt', 'abc.txt'],
    ['invoice\u202egpj.exe', 'invoicegpj.exe'],
    ['  spaced  ', 'spaced'],
    ['lone \ud800 surrogate', 'lone \ufffd surrogate'],
    ['résumé 履歴書.pdf', 'résumé 履歴書.pdf'],
    ['..hidden', '..hidden'],
  ])('turns %j into %j', (raw, expected) => {
    expect(displayName(raw)).toBe(expected);
  });

  it('keeps at most 255 characters, counting code points', () => {
    expect(displayName('a'.repeat(1000))).toBe('a'.repeat(255));
    expect(Array.from(displayName('😀'.repeat(300)))).toHaveLength(255);
  });

  it('always gives a short, single-segment, printable, well-formed name', () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        const name = displayName(raw);
        expect(name.length).toBeGreaterThan(0);
        expect(Array.from(name).length).toBeLessThanOrEqual(255);
        expect(name).not.toMatch(/[/\\]/);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
        expect(name).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(['.', '..']).not.toContain(name);
        expect(name).toBe(name.trim());
        expect(() => encodeURIComponent(name)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        const once = displayName(raw);
        expect(displayName(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
