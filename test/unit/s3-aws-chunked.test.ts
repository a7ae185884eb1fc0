import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, type AwsChunkedOptions } from '../../services/ingest/src/http/s3/aws-chunked.ts';
import { PayloadCheck } from '../../services/ingest/src/http/s3/payload-check.ts';
import { S3Error } from '../../services/ingest/src/http/s3/s3-error.ts';
import { SigningKeys } from '../../services/ingest/src/http/s3/sigv4/signing.ts';
import { verifyRequest } from '../../services/ingest/src/http/s3/sigv4/verify-request.ts';

/** Feeds `body` split at `cuts`, returns the decoded payload or the S3 error code. */
async function decode(
  body: Buffer,
  options: AwsChunkedOptions,
  cuts: number[] = [],
): Promise<Buffer | string> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < body.length).sort((a, b) => a - b)) {
    pieces.push(body.subarray(at, cut));
    at = cut;
  }
  pieces.push(body.subarray(at));
  const out: Buffer[] = [];
  try {
    await pipeline(
      Readable.from(pieces),
      new AwsChunkedDecoder(options),
      async (source: AsyncIterable<unknown>) => {
        for await (const chunk of source) out.push(chunk as Buffer);
      },
    );
    return Buffer.concat(out);
  } catch (err) {
    return err instanceof S3Error ? err.code : String(err);
  }
}

const crc32Base64 = (data: Buffer) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(data));
  return bytes.toString('base64');
};

/** The framing STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies have, as botocore and the SDKs write it. */
function unsignedTrailer(
  payload: Buffer,
  chunkSize: number,
  trailer = `x-amz-checksum-crc32:${crc32Base64(payload)}`,
): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < payload.length; at += chunkSize) {
    const chunk = payload.subarray(at, at + chunkSize);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`0\r\n${trailer}\r\n\r\n`));
  return Buffer.concat(parts);
}

describe('aws-chunked decoding', () => {
  it('yields exactly the payload, whatever the chunk size and however the body is split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.nat({ max: 4000 }), { maxLength: 8 }),
        async (bytes, chunkSize, cuts) => {
          const payload = Buffer.from(bytes);
          let trailer: Map<string, string> | undefined;
          const options = {
            trailer: true,
            decodedLength: payload.length,
            onTrailer: (t: Map<string, string>) => (trailer = t),
          };
          const decoded = await decode(unsignedTrailer(payload, chunkSize), options, cuts);
          expect(decoded).toEqual(payload);
          expect(trailer?.get('x-amz-checksum-crc32')).toBe(crc32Base64(payload));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('checks the trailing checksum against the payload, and refuses one never announced', async () => {
    const payload = Buffer.from('hello, chunked world');
    const run = async (body: Buffer, algorithm?: 'crc32') => {
      const check = new PayloadCheck({
        checksum: algorithm ? { algorithm, expected: undefined } : undefined,
      });
      const decoder = new AwsChunkedDecoder({ trailer: true, onTrailer: (t) => check.setTrailer(t) });
      try {
        await pipeline(Readable.from([body]), decoder, check, async (source: AsyncIterable<unknown>) => {
          for await (const _ of source);
        });
        return 'stored';
      } catch (err) {
        return err instanceof S3Error ? err.code : String(err);
      }
    };
    expect(await run(unsignedTrailer(payload, 5), 'crc32')).toBe('stored');
    expect(await run(unsignedTrailer(payload, 5, 'x-amz-checksum-crc32:AAAAAA=='), 'crc32')).toBe(
      'BadDigest',
    );
    expect(await run(unsignedTrailer(payload, 5))).toBe('InvalidRequest');
  });

  it('refuses bodies that are cut short, over-long, mis-framed or longer than declared', async () => {
    const payload = Buffer.from('0123456789');
    const good = unsignedTrailer(payload, 4);
    expect(await decode(good.subarray(0, 12), { trailer: true })).toBe('IncompleteBody');
    expect(await decode(Buffer.from('4\r\n012345\r\n0\r\n\r\n'), { trailer: false })).toBe('InvalidRequest');
    expect(await decode(Buffer.from('zz\r\n'), { trailer: false })).toBe('InvalidRequest');
    expect(await decode(good, { trailer: true, decodedLength: 9 })).toBe('IncompleteBody');
    expect(await decode(good, { trailer: true, decodedLength: 11 })).toBe('IncompleteBody');
    expect(await decode(Buffer.from(`${'f'.repeat(5000)}\r\n`), { trailer: false })).toBe('InvalidRequest');
  });

  /** AWS's documented example of STREAMING-AWS4-HMAC-SHA256-PAYLOAD: 64 KiB and 1 KiB of 'a'. */
  it("verifies the chunk signatures of AWS's documented example, and refuses a changed byte", async () => {
    const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
    const headers: [string, string][] = [
      ['Host', 's3.amazonaws.com'],
      ['x-amz-date', '20130524T000000Z'],
      ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
      ['x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'],
      ['Content-Encoding', 'aws-chunked'],
      ['x-amz-decoded-content-length', '66560'],
      ['Content-Length', '66824'],
      [
        'Authorization',
        `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${seed}`,
      ],
    ];
    const verified = verifyRequest(
      {
        method: 'PUT',
        rawPath: '/examplebucket/chunkObject.txt',
        rawQuery: '',
        rawHeaders: headers.flat(),
        headers: Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])),
        query: new Map(),
      },
      {
        accessKey: 'AKIAIOSFODNN7EXAMPLE',
        keys: new SigningKeys('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
        region: 'us-east-1',
      },
      Date.UTC(2013, 4, 24),
    );
    if (verified.payload.kind !== 'chunked' || !verified.payload.signing)
      throw new Error('not a signed chunked payload');
    const body = (first: Buffer) =>
      Buffer.concat([
        Buffer.from(
          '10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n',
        ),
        first,
        Buffer.from(
          '\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n',
        ),
        Buffer.alloc(1024, 'a'),
        Buffer.from(
          '\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n',
        ),
      ]);
    const options = { trailer: false, signing: verified.payload.signing, decodedLength: 66560 };
    const decoded = await decode(body(Buffer.alloc(65536, 'a')), options, [100, 70_000]);
    expect(typeof decoded === 'string' ? decoded : createHash('sha256').update(decoded).digest('hex')).toBe(
      createHash('sha256').update(Buffer.alloc(66560, 'a')).digest('hex'),
    );
    const tampered = Buffer.alloc(65536, 'a');
    tampered[1000] = 0x62;
    expect(await decode(body(tampered), options)).toBe('SignatureDoesNotMatch');
  });
});
