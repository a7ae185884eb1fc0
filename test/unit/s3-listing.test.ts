import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, keyBytes, prefixEnd } from '../../services/ingest/src/s3/key-order.ts';
import { afterMarker, listPage, type ObjectSource } from '../../services/ingest/src/s3/listing.ts';
import type { ListAfter, S3Object } from '../../services/ingest/src/s3/s3-catalog.ts';

const object = (key: string): S3Object => ({
  bucket: 'b',
  key,
  fileId: '00000000-0000-4000-8000-000000000000',
  size: 0,
  etag: 'd41d8cd98f00b204e9800998ecf8427e',
  lastModified: '2026-12-01T00:00:00.000Z',
  headers: { metadata: {} },
});

/** The catalog's contract in memory: byte order, prefix, resume after a key or past a prefix. */
function memorySource(keys: readonly string[]): ObjectSource & { queries: number } {
  const sorted = [...new Set(keys)].sort(compareKeys);
  const source = async ({
    prefix,
    after,
    limit,
  }: {
    prefix: string;
    after: ListAfter | undefined;
    limit: number;
  }) => {
    source.queries += 1;
    return sorted
      .filter((key) => key.startsWith(prefix))
      .filter((key) => {
        if (!after) return true;
        if (!after.wholePrefix) return compareKeys(key, after.key) > 0;
        const end = prefixEnd(keyBytes(after.key));
        return end !== undefined && Buffer.compare(keyBytes(key), end) >= 0;
      })
      .slice(0, limit)
      .map(object);
  };
  source.queries = 0;
  return source;
}

/** What a listing must show, computed the obvious way: every key under the prefix, grouped. */
function expectedEntries(keys: readonly string[], prefix: string, delimiter: string): string[] {
  const entries: string[] = [];
  for (const key of [...new Set(keys)].sort(compareKeys)) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = at < 0 ? key : `${key.slice(0, at + delimiter.length)}/CP`;
    if (entries.at(-1) !== entry) entries.push(entry);
  }
  return entries;
}

async function allPages(keys: readonly string[], prefix: string, delimiter: string, maxKeys: number) {
  const source = memorySource(keys);
  const seen: string[] = [];
  let after: ListAfter | undefined;
  for (let page = 0; page < 10_000; page += 1) {
    const result = await listPage(source, { prefix, delimiter, maxKeys, after });
    const entries = [...result.objects.map((o) => o.key), ...result.commonPrefixes.map((p) => `${p}/CP`)];
    expect(entries.length).toBeLessThanOrEqual(maxKeys);
    seen.push(...entries.sort((a, b) => compareKeys(a, b)));
    if (!result.truncated) return { seen, source };
    expect(entries.length).toBe(maxKeys);
    after = result.next;
  }
  throw new Error('listing did not end');
}

const keyChar = fc.constantFrom('a', 'b', '/', '-', 'é', '\uff5e', '\u{1f600}', '0');
const key = fc.array(keyChar, { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));

describe('S3 listing', () => {
  it('pages through exactly the grouped keys, in byte order, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(key, { maxLength: 40 }),
        fc.constantFrom('', 'a', 'a/', 'é'),
        fc.constantFrom('', '/', '-', 'é/'),
        fc.integer({ min: 1, max: 7 }),
        async (keys, prefix, delimiter, maxKeys) => {
          const { seen } = await allPages(keys, prefix, delimiter, maxKeys);
          // Within a page objects and prefixes are listed apart; across pages the order holds.
          expect(seen.sort(compareKeys)).toEqual(expectedEntries(keys, prefix, delimiter).sort(compareKeys));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('skips a large common prefix with one query, not one row at a time', async () => {
    const keys = [...Array.from({ length: 5000 }, (_, i) => `photos/${i}`), 'readme', 'zz/1'];
    const { seen, source } = await allPages(keys, '', '/', 1000);
    expect(seen).toEqual(['photos//CP', 'readme', 'zz//CP']);
    expect(source.queries).toBeLessThanOrEqual(4);
  });

  it('maxKeys 0 lists nothing and says whether anything is there', async () => {
    const page = await listPage(memorySource(['a']), { prefix: '', maxKeys: 0 });
    expect(page).toMatchObject({ objects: [], commonPrefixes: [], truncated: true });
    const empty = await listPage(memorySource([]), { prefix: '', maxKeys: 0 });
    expect(empty.truncated).toBe(false);
  });

  it('a v1 marker that is a common prefix resumes past the whole prefix', () => {
    expect(afterMarker('a/', '', '/')).toEqual({ key: 'a/', wholePrefix: true });
    expect(afterMarker('a/b', '', '/')).toEqual({ key: 'a/b', wholePrefix: false });
    expect(afterMarker('x/a/', 'x/', '/')).toEqual({ key: 'x/a/', wholePrefix: true });
    expect(afterMarker('a/', '', undefined)).toEqual({ key: 'a/', wholePrefix: false });
    expect(afterMarker('', '', '/')).toBeUndefined();
  });
});
