import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseRange } from '../../shared/src/http/byte-range.ts';

describe('chooseRange', () => {
  it.each([
    [undefined, { kind: 'whole' }],
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-500', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-5', { kind: 'partial', start: 95, end: 99 }],
    ['bytes=-500', { kind: 'partial', start: 0, end: 99 }],
    ['BYTES=1-2', { kind: 'partial', start: 1, end: 2 }],
    [' bytes = 3-4 ', { kind: 'partial', start: 3, end: 4 }],
    ['bytes=0-4,2-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=0-4,5-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=0-1,,2-3', { kind: 'partial', start: 0, end: 3 }],
    ['bytes=0-1,200-300', { kind: 'partial', start: 0, end: 1 }],
    ['bytes=0-1,5-6', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
    ['bytes=100-', { kind: 'unsatisfiable', reason: 'range is outside the file' }],
    ['bytes=-0', { kind: 'unsatisfiable', reason: 'range is outside the file' }],
    ['bytes=50-10', { kind: 'unsatisfiable', reason: 'malformed Range header' }],
    ['bytes=abc', { kind: 'unsatisfiable', reason: 'malformed Range header' }],
    ['bytes=1-2x', { kind: 'unsatisfiable', reason: 'malformed Range header' }],
    ['bytes=-', { kind: 'unsatisfiable', reason: 'malformed Range header' }],
    ['bytes=', { kind: 'unsatisfiable', reason: 'malformed Range header' }],
    ['0-1', { kind: 'unsatisfiable', reason: 'malformed Range header' }],
  ])('answers %j for 100 bytes with %j', (header, choice) => {
    expect(chooseRange(100, header)).toEqual(choice);
  });

  it('never throws, and a partial range always lies inside the file', () => {
    const header = fc.oneof(
      fc.string(),
      fc
        .array(
          fc.tuple(fc.option(fc.nat(300), { nil: undefined }), fc.option(fc.nat(300), { nil: undefined })),
          { minLength: 1, maxLength: 4 },
        )
        .map((ranges) => `bytes=${ranges.map(([a, b]) => `${a ?? ''}-${b ?? ''}`).join(',')}`),
    );
    fc.assert(
      fc.property(fc.nat(200), header, (size, value) => {
        const choice = chooseRange(size, value);
        if (choice.kind === 'partial') {
          expect(choice.start).toBeGreaterThanOrEqual(0);
          expect(choice.start).toBeLessThanOrEqual(choice.end);
          expect(choice.end).toBeLessThan(size);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finds nothing to serve in an empty file', () => {
    expect(chooseRange(0, 'bytes=0-').kind).toBe('unsatisfiable');
    expect(chooseRange(0, 'bytes=-5').kind).toBe('unsatisfiable');
  });

  it('serves the last n bytes of a suffix range, all of them when n is longer than the file', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2000 }), (size, n) => {
        expect(chooseRange(size, `bytes=-${n}`)).toEqual({
          kind: 'partial',
          start: Math.max(0, size - n),
          end: size - 1,
        });
      }),
    );
  });

  it('serves exactly a valid single range, and refuses one that starts past the end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.nat(1200), fc.nat(1200), (size, a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const choice = chooseRange(size, `bytes=${start}-${end}`);
        if (start >= size) expect(choice.kind).toBe('unsatisfiable');
        else expect(choice).toEqual({ kind: 'partial', start, end: Math.min(end, size - 1) });
      }),
    );
  });

  it('refuses a reversed range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.nat(999),
        fc.integer({ min: 1, max: 999 }),
        (size, end, gap) => {
          expect(chooseRange(size, `bytes=${end + gap}-${end}`).kind).toBe('unsatisfiable');
        },
      ),
    );
  });
});
