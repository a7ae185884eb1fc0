import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUploadChecksum } from '../../services/ingest/src/http/tus/upload-checksum.ts';
import { parseUploadMetadata } from '../../services/ingest/src/http/tus/upload-metadata.ts';
import { AppError } from '../../shared/src/errors.ts';

const badRequest = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError && err.status === 400;
  }
  return false;
};

describe('Upload-Metadata', () => {
  it('reads what tus-js-client sends, empty values included', () => {
    const header =
      'filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,filetype YXBwbGljYXRpb24vcGRm,is_confidential';
    expect(Object.fromEntries(parseUploadMetadata(header))).toEqual({
      filename: 'world_domination_plan.pdf',
      filetype: 'application/pdf',
      is_confidential: '',
    });
    expect(parseUploadMetadata(undefined).size).toBe(0);
  });

  it('gives back any unique keys with any UTF-8 values as they were encoded', () => {
    const key = fc.stringMatching(/^[\x21-\x2b\x2d-\x7e]{1,20}$/);
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.string({ unit: 'grapheme', maxLength: 50 }), { minKeys: 1 }),
        (pairs) => {
          const header = Object.entries(pairs)
            .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
            .join(',');
          expect(Object.fromEntries(parseUploadMetadata(header))).toEqual(pairs);
        },
      ),
    );
  });

  it.each([
    ['a key twice', 'name YQ==,name Yg=='],
    ['a value that is not base64', 'name ***'],
    ['base64 without its padding', 'name YQ'],
    ['an empty pair', 'name YQ==,,type Yg=='],
    ['three parts', 'name YQ== extra'],
  ])('refuses %s with 400', (_what, header) => {
    expect(badRequest(() => parseUploadMetadata(header))).toBe(true);
  });
});

describe('Upload-Checksum', () => {
  const bytes = Buffer.from('some bytes');
  it.each(['sha1', 'sha256'] as const)('reads %s', (algorithm) => {
    const digest = createHash(algorithm).update(bytes).digest();
    expect(parseUploadChecksum(`${algorithm} ${digest.toString('base64')}`)).toEqual({ algorithm, digest });
  });

  it.each([
    ['an algorithm not offered', `md5 ${createHash('md5').update(bytes).digest('base64')}`],
    ['a digest of the wrong length', `sha256 ${createHash('sha1').update(bytes).digest('base64')}`],
    ['no digest', 'sha1'],
    ['a digest that is not base64', 'sha1 !!!!'],
  ])('refuses %s with 400', (_what, header) => {
    expect(badRequest(() => parseUploadChecksum(header))).toBe(true);
  });
});
