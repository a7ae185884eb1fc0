/** What a download answers to a `Range` header. `end` is inclusive. */
export type RangeChoice =
  | { kind: 'whole' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable'; reason: string };

const WHOLE: RangeChoice = { kind: 'whole' };
const MALFORMED: RangeChoice = { kind: 'unsatisfiable', reason: 'malformed Range header' };
const OUTSIDE: RangeChoice = { kind: 'unsatisfiable', reason: 'range is outside the file' };

/**
 * Decides how to answer `Range` for a file of `size` bytes, after RFC 9110 §14. Another unit
 * than `bytes` is ignored (whole file); overlapping or adjacent ranges are merged, and ranges
 * that stay disjoint get the whole file, which the RFC allows. A syntax error (a reversed range
 * among them) or ranges that all start past the end are unsatisfiable (416).
 */
export function chooseRange(size: number, header: string | undefined): RangeChoice {
  if (header === undefined) return WHOLE;
  const equals = header.indexOf('=');
  if (equals < 0) return MALFORMED;
  if (header.slice(0, equals).trim().toLowerCase() !== 'bytes') return WHOLE;
  // Empty list elements are allowed and ignored (RFC 9110 §5.6.1).
  const specs = header
    .slice(equals + 1)
    .split(',')
    .map((spec) => spec.trim())
    .filter(Boolean);
  if (specs.length === 0) return MALFORMED;
  const ranges: { start: number; end: number }[] = [];
  for (const spec of specs) {
    const range = satisfiable(size, spec);
    if (range === 'malformed') return MALFORMED;
    if (range) ranges.push(range);
  }
  const merged = merge(ranges);
  if (merged.length === 0) return OUTSIDE;
  const [only] = merged;
  return merged.length === 1 && only ? { kind: 'partial', ...only } : WHOLE;
}

/** One range-spec clipped to the file, undefined when it selects nothing of it. */
function satisfiable(size: number, spec: string): { start: number; end: number } | undefined | 'malformed' {
  const match = /^(\d*)-(\d*)$/.exec(spec);
  if (!match) return 'malformed';
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return 'malformed';
  if (first === '') {
    // A suffix longer than the file selects all of it (RFC 9110 §14.1.3).
    const length = Number(last);
    return length > 0 && size > 0 ? { start: Math.max(0, size - length), end: size - 1 } : undefined;
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return 'malformed';
  if (start >= size) return undefined;
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function merge(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.start <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}
