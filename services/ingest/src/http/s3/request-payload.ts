import { pipeline, type Readable } from 'node:stream';
import type { Request } from 'express';
import { declaredLength } from '../../../../../shared/src/http/request-headers.ts';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import {
  algorithmOfHeader,
  type ChecksumAlgorithm,
  checkChecksumValue,
  parseAlgorithm,
} from './checksums.ts';
import { PayloadCheck, type PayloadExpectations } from './payload-check.ts';
import { S3Error } from './s3-error.ts';
import type { PayloadMode } from './sigv4/verify-request.ts';

/** A request body as S3 means it: the payload alone, checked as it streams. */
export interface RequestPayload {
  /** The decoded payload; fails at its end if a digest, checksum or chunk signature is wrong. */
  body: Readable;
  check: PayloadCheck;
}

/**
 * Everything about the body that can be refused before reading it is refused here (malformed
 * digests, an undeclared trailer); what needs the bytes is checked by the streams.
 */
export function requestPayload(req: Request, payload: PayloadMode): RequestPayload {
  const expectations = expectationsOf(req, payload);
  const check = new PayloadCheck(expectations);
  if (payload.kind !== 'chunked') {
    pipeline(req, check, () => undefined);
    return { body: check, check };
  }
  const decodedLength = declaredLength(req.get('x-amz-decoded-content-length'));
  const decoder = new AwsChunkedDecoder({
    trailer: payload.trailer,
    signing: payload.signing,
    decodedLength,
    onTrailer: (trailer) => check.setTrailer(trailer),
  });
  // pipeline destroys every stream with the first error, so the reader of `check` sees it.
  pipeline(req, decoder, check, () => undefined);
  return { body: check, check };
}

function expectationsOf(req: Request, payload: PayloadMode): PayloadExpectations {
  const md5 = req.get('content-md5');
  if (md5 !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()))
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  return {
    sha256Hex: payload.kind === 'sha256' ? payload.sha256 : undefined,
    contentMd5: md5?.trim(),
    checksum: declaredChecksum(req, payload),
  };
}

/** The one flexible checksum of the request: in a header, or announced by `x-amz-trailer`. */
function declaredChecksum(
  req: Request,
  payload: PayloadMode,
): { algorithm: ChecksumAlgorithm; expected: string | undefined } | undefined {
  const inHeaders = Object.keys(req.headers).flatMap((name) => {
    const algorithm = algorithmOfHeader(name);
    return algorithm ? [algorithm] : [];
  });
  const trailer = req.get('x-amz-trailer');
  const trailed = trailer
    ? trailer.split(',').map((name) => {
        const algorithm = algorithmOfHeader(name.trim());
        if (!algorithm) throw new S3Error('InvalidRequest', `The trailer ${name.trim()} is not supported.`);
        return algorithm;
      })
    : [];
  if (inHeaders.length + trailed.length > 1)
    throw new S3Error(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  const [fromHeader] = inHeaders;
  if (fromHeader) {
    const value = String(req.headers[`x-amz-checksum-${fromHeader}`]).trim();
    checkChecksumValue(fromHeader, value);
    checkAnnounced(req, fromHeader);
    return { algorithm: fromHeader, expected: value };
  }
  const [fromTrailer] = trailed;
  if (fromTrailer) {
    if (payload.kind !== 'chunked' || !payload.trailer)
      throw new S3Error('InvalidRequest', 'x-amz-trailer needs a STREAMING-...-TRAILER payload.');
    checkAnnounced(req, fromTrailer);
    return { algorithm: fromTrailer, expected: undefined };
  }
  return undefined;
}

/** `x-amz-sdk-checksum-algorithm`, when sent, must name the checksum that came with it. */
function checkAnnounced(req: Request, algorithm: ChecksumAlgorithm): void {
  const announced = req.get('x-amz-sdk-checksum-algorithm');
  if (announced && parseAlgorithm(announced) !== algorithm)
    throw new S3Error('InvalidRequest', 'x-amz-sdk-checksum-algorithm does not match the checksum sent.');
}
