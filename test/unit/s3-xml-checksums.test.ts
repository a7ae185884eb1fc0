import { describe, expect, it } from 'vitest';
import { newChecksum } from '../../services/ingest/src/http/s3/checksums.ts';
import { evaluateConditions } from '../../services/ingest/src/http/s3/conditions.ts';
import { S3Error } from '../../services/ingest/src/http/s3/s3-error.ts';
import { child, parseXml, text, xmlDocument } from '../../services/ingest/src/http/s3/xml.ts';
import { multipartEtag } from '../../services/ingest/src/s3/assemble-parts.ts';

describe('S3 XML', () => {
  it('escapes every value and round-trips awkward keys', () => {
    const xml = xmlDocument('ListBucketResult', {
      Contents: [{ Key: '&+-é"/x<y>' }, { Key: "'" }],
      IsTruncated: false,
    });
    expect(xml).toContain('<Key>&amp;+-é&quot;/x&lt;y&gt;</Key>');
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      ),
    ).toBe(true);
    const parsed = parseXml(
      `<Delete><Object><Key>&amp;+-é&quot;/x</Key></Object><Object><Key> 0123 </Key></Object><Quiet>true</Quiet></Delete>`,
    );
    const objects = child(child(parsed, 'Delete'), 'Object') as unknown[];
    expect(objects.map((o) => text(child(o, 'Key')))).toEqual(['&+-é"/x', ' 0123 ']);
  });

  it('refuses what is not well-formed as MalformedXML', () => {
    for (const bad of ['', '<a><b></a>', 'not xml', '<Delete>']) {
      expect(() => parseXml(bad), bad).toThrowError(S3Error);
    }
  });
});

describe('S3 checksums and ETags', () => {
  it('compute the standard check values, fed in pieces', async () => {
    const expected = {
      crc32: 'y/Q5Jg==',
      crc32c: '4waSgw==',
      crc64nvme: 'rosUhgp5mIg=',
      sha1: '98O8HYCOBHMq32eZZczDTKeuNEE=',
      sha256: 'FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=',
    } as const;
    for (const [algorithm, value] of Object.entries(expected)) {
      const checksum = newChecksum(algorithm as keyof typeof expected);
      checksum.update(Buffer.from('1234'));
      checksum.update(Buffer.from('56789'));
      expect(await checksum.digest(), algorithm).toBe(value);
    }
  });

  it("give a multipart object S3's ETag: the MD5 of the parts' MD5s and the count", () => {
    // Two parts whose MD5s are those of "a" and "b".
    const parts = [
      { etag: '0cc175b9c0f1b6a831c399e269772661' },
      { etag: '92eb5ffee6ae2fec3ad71c777531578f' },
    ];
    expect(multipartEtag(parts)).toMatch(/^[0-9a-f]{32}-2$/);
    expect(multipartEtag(parts)).not.toBe(multipartEtag([...parts].reverse()));
  });
});

describe('S3 read conditions', () => {
  const etag = 'abc';
  const modified = '2026-01-01T00:00:00.000Z';
  it('If-Match and If-Unmodified-Since fail with 412; If-None-Match and If-Modified-Since give 304', () => {
    const code = (run: () => unknown) => {
      try {
        return run();
      } catch (err) {
        return (err as S3Error).code;
      }
    };
    expect(code(() => evaluateConditions({ ifMatch: '"abc"' }, etag, modified))).toBe('proceed');
    expect(code(() => evaluateConditions({ ifMatch: '"other"' }, etag, modified))).toBe('PreconditionFailed');
    expect(
      code(() => evaluateConditions({ ifUnmodifiedSince: 'Wed, 31 Dec 2025 00:00:00 GMT' }, etag, modified)),
    ).toBe('PreconditionFailed');
    // If-Match that holds wins over a failing If-Unmodified-Since, as RFC 9110 orders them.
    expect(
      code(() =>
        evaluateConditions(
          { ifMatch: '*', ifUnmodifiedSince: 'Wed, 31 Dec 2025 00:00:00 GMT' },
          etag,
          modified,
        ),
      ),
    ).toBe('proceed');
    expect(code(() => evaluateConditions({ ifNoneMatch: 'W/"abc", "x"' }, etag, modified))).toBe(
      'not-modified',
    );
    expect(
      code(() => evaluateConditions({ ifModifiedSince: 'Thu, 01 Jan 2026 00:00:00 GMT' }, etag, modified)),
    ).toBe('not-modified');
    expect(
      code(() => evaluateConditions({ ifModifiedSince: 'Wed, 31 Dec 2025 00:00:00 GMT' }, etag, modified)),
    ).toBe('proceed');
    expect(code(() => evaluateConditions({ ifModifiedSince: 'garbage' }, etag, modified))).toBe('proceed');
  });
});
