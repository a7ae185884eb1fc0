import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../../services/ingest/src/http/s3/s3-error.ts';
import { SigningKeys } from '../../services/ingest/src/http/s3/sigv4/signing.ts';
import { queryPairs } from '../../services/ingest/src/http/s3/sigv4/uri-encode.ts';
import {
  type IncomingToVerify,
  verifyRequest,
} from '../../services/ingest/src/http/s3/sigv4/verify-request.ts';

/** The example key pair of AWS's Signature V4 documentation for S3. */
const DOC_KEY = 'AKIAIOSFODNN7EXAMPLE';
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DOC_TIME = Date.UTC(2013, 4, 24, 0, 0, 30);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const credentials = (secret = DOC_SECRET, region = 'us-east-1') => ({
  accessKey: DOC_KEY,
  keys: new SigningKeys(secret),
  region,
});

function request(method: string, url: string, headers: [string, string][]): IncomingToVerify {
  const [rawPath = '', rawQuery = ''] = url.split('?');
  return {
    method,
    rawPath,
    rawQuery,
    rawHeaders: headers.flat(),
    headers: Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value])),
    query: new Map(queryPairs(rawQuery)),
  };
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (err) {
    return err instanceof S3Error ? err.code : String(err);
  }
}

/** AWS's documented example: GET /test.txt with a Range header (Signature V4 for S3, "Example: GET Object"). */
const docGet = (
  signature = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  path = '/test.txt',
) =>
  request('GET', path, [
    ['Host', 'examplebucket.s3.amazonaws.com'],
    ['Range', 'bytes=0-9'],
    ['x-amz-content-sha256', EMPTY],
    ['x-amz-date', '20130524T000000Z'],
    [
      'Authorization',
      `AWS4-HMAC-SHA256 Credential=${DOC_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
    ],
  ]);

describe('Signature V4', () => {
  it("accepts AWS's documented header example and refuses it altered", () => {
    expect(verifyRequest(docGet(), credentials(), DOC_TIME).payload).toEqual({
      kind: 'sha256',
      sha256: EMPTY,
    });
    expect(codeOf(() => verifyRequest(docGet(), credentials('other-secret'), DOC_TIME))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(codeOf(() => verifyRequest(docGet(undefined, '/test2.txt'), credentials(), DOC_TIME))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(codeOf(() => verifyRequest(docGet(), credentials(DOC_SECRET, 'eu-west-1'), DOC_TIME))).toBe(
      'AuthorizationHeaderMalformed',
    );
    expect(codeOf(() => verifyRequest(docGet(), credentials(), DOC_TIME + 16 * 60_000))).toBe(
      'RequestTimeTooSkewed',
    );
  });

  it("accepts AWS's documented presigned example until it expires", () => {
    const url =
      '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const get = request('GET', url, [['Host', 'examplebucket.s3.amazonaws.com']]);
    expect(verifyRequest(get, credentials(), DOC_TIME).presigned).toBe(true);
    expect(codeOf(() => verifyRequest(get, credentials(), DOC_TIME + 86_401_000))).toBe('AccessDenied');
  });

  it('refuses anonymous requests, Signature V2 and unknown keys', () => {
    expect(codeOf(() => verifyRequest(request('GET', '/', [['Host', 'h']]), credentials(), DOC_TIME))).toBe(
      'AccessDenied',
    );
    const v2 = request('GET', '/', [
      ['Host', 'h'],
      ['Authorization', 'AWS AKIA:abc='],
    ]);
    expect(codeOf(() => verifyRequest(v2, credentials(), DOC_TIME))).toBe('InvalidRequest');
    const other = { ...credentials(), accessKey: 'someone-else' };
    expect(codeOf(() => verifyRequest(docGet(), other, DOC_TIME))).toBe('InvalidAccessKeyId');
  });

  it('verifies what the SDK presigns for any key and query, and refuses any change to them', async () => {
    const now = Date.now();
    const secret = 'property-secret-key';
    const sdk = new S3Client({
      endpoint: 'http://127.0.0.1:9080',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: DOC_KEY, secretAccessKey: secret },
    });
    const keyChars = fc.constantFrom(
      'a',
      'Z',
      '0',
      ' ',
      '/',
      '+',
      '&',
      '=',
      '%',
      '~',
      '!',
      '*',
      "'",
      '(',
      'é',
      '\u{1f600}',
      '"',
      '?',
      '#',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(keyChars, { minLength: 1, maxLength: 12 }).map((c) => c.join('')),
        fc.boolean(),
        fc.option(fc.string({ maxLength: 12 })),
        async (key, put, disposition) => {
          const command = put
            ? new PutObjectCommand({ Bucket: 'bkt', Key: key })
            : new GetObjectCommand({
                Bucket: 'bkt',
                Key: key,
                ResponseContentDisposition: disposition ?? undefined,
              });
          const url = new URL(await getSignedUrl(sdk, command, { expiresIn: 60 }));
          const target = `${url.pathname}${url.search}`;
          const signed = request(put ? 'PUT' : 'GET', target, [['Host', url.host]]);
          expect(codeOf(() => verifyRequest(signed, credentials(secret), now))).toBe('accepted');
          const moved = request(put ? 'PUT' : 'GET', target.replace('/bkt/', '/bkt/x'), [['Host', url.host]]);
          expect(codeOf(() => verifyRequest(moved, credentials(secret), now))).toBe('SignatureDoesNotMatch');
          const method = request(put ? 'GET' : 'PUT', target, [['Host', url.host]]);
          expect(codeOf(() => verifyRequest(method, credentials(secret), now))).toBe('SignatureDoesNotMatch');
        },
      ),
      { numRuns: 100 },
    );
    sdk.destroy();
  });
});
