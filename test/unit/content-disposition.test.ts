import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../shared/src/http/content-disposition.ts';

const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

function parts(header: string) {
  const match = /^attachment; filename="([^"]*)"; filename\*=UTF-8''(\S*)$/.exec(header);
  return match ? { fallback: match[1] ?? '', encoded: match[2] ?? '' } : undefined;
}

describe('attachmentDisposition (RFC 6266 / 5987)', () => {
  it.each([
    ['report.pdf', `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`],
    ['a b.txt', `attachment; filename="a b.txt"; filename*=UTF-8''a%20b.txt`],
    ['résumé.pdf', `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`],
    ['say "hi".txt', `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`],
    ['100%.txt', `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`],
    ["it's (1).txt", `attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`],
  ])('renders %j', (name, header) => {
    expect(attachmentDisposition(name)).toBe(header);
  });

  it('is printable ASCII whatever the name, and filename* decodes back to it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (name) => {
        const header = attachmentDisposition(name);
        expect(header).toMatch(/^[\x20-\x7e]*$/);
        const parsed = parts(header);
        expect(parsed).toBeDefined();
        expect(parsed?.fallback).not.toMatch(/["\\%]/);
        expect(parsed?.encoded).toMatch(/^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*$/);
        expect(decodeURIComponent(parsed?.encoded ?? '')).toBe(wellFormed(name));
      }),
      { numRuns: 2000 },
    );
  });
});
