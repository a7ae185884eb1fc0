import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { declaredMediaType, OCTET_STREAM, servedContentType } from '../../shared/src/http/content-type.ts';

describe('declared and served content types', () => {
  it.each([
    ['text/plain; charset=utf-8', 'text/plain'],
    ['IMAGE/PNG', 'image/png'],
    ['application/vnd.ms-excel', 'application/vnd.ms-excel'],
    ['not a type', undefined],
    ['text/plain, text/html', undefined],
    ['', undefined],
    [undefined, undefined],
    [42, undefined],
  ])('reads %j as %j', (header, type) => {
    expect(declaredMediaType(header)).toBe(type);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['image/png', 'image/png'],
    ['video/mp4', 'video/mp4'],
    ['application/json', 'application/json'],
    ['text/html', OCTET_STREAM],
    ['image/svg+xml', OCTET_STREAM],
    ['application/xhtml+xml', OCTET_STREAM],
    ['text/javascript', OCTET_STREAM],
    ['application/javascript', OCTET_STREAM],
    ['text/xml', OCTET_STREAM],
    ['application/pdf', OCTET_STREAM],
    ['text/css', OCTET_STREAM],
    ['multipart/x-mixed-replace', OCTET_STREAM],
    ['application/x-shockwave-flash', OCTET_STREAM],
    ['application/vnd.unknown', OCTET_STREAM],
    [undefined, OCTET_STREAM],
    [null, OCTET_STREAM],
  ])('serves what was declared as %j as %j', (stored, served) => {
    expect(servedContentType(stored)).toBe(served);
  });

  it('never serves an active or malformed type', () => {
    const type = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.constantFrom('text', 'image', 'application', 'audio', 'video', 'font', 'multipart', 'x'),
          fc.stringMatching(/^[a-z0-9.+-]{1,20}$/),
        )
        .map(([top, sub]) => `${top}/${sub}`),
      fc.constantFrom('image/svg+xml', 'text/html', 'image/x-svg', 'audio/xml', 'video/x-javascript'),
    );
    fc.assert(
      fc.property(type, (declared) => {
        const served = servedContentType(declared);
        expect(served).toMatch(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/);
        if (served !== OCTET_STREAM) {
          expect(served).not.toMatch(/html|xml|script|svg|xsl/);
          expect(served).toBe(declaredMediaType(declared));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
