import { S3Error } from '../s3-error.ts';
import { type AuthParams, amzDateMs, headerAuthParams, queryAuthParams } from './auth-params.ts';
import {
  canonicalHeaders,
  canonicalRequest,
  canonicalUris,
  type RequestToSign,
} from './canonical-request.ts';
import { requestStringToSign, type Scope, type SigningKeys, sign, signaturesEqual } from './signing.ts';

/** The one key pair this service accepts, and where it lives. */
export interface S3Credentials {
  accessKey: string;
  keys: SigningKeys;
  region: string;
}

/** What signs the chunks of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body: the request's own signature seeds the chain. */
export interface ChunkSigning {
  signingKey: Buffer;
  scope: Scope;
  amzDate: string;
  seedSignature: string;
}

/** How the body is framed and what vouches for it, from `x-amz-content-sha256`. */
export type PayloadMode =
  | { kind: 'sha256'; sha256: string }
  | { kind: 'unsigned' }
  | { kind: 'chunked'; trailer: boolean; signing: ChunkSigning | undefined };

export interface VerifiedRequest {
  payload: PayloadMode;
  presigned: boolean;
}

/** S3 refuses a request signed more than 15 minutes away from its own clock. */
const MAX_SKEW_MS = 15 * 60_000;

export interface IncomingToVerify extends RequestToSign {
  headers: Record<string, unknown>;
  /** Decoded query parameters (the last value of a repeated name). */
  query: Map<string, string>;
}

/**
 * Checks a request's Signature V4, from its Authorization header or, for a presigned URL, its
 * query, against the configured key pair and region. Throws the S3Error a client expects; on
 * success says how to read the body (whose own hash or chunk signatures are checked as it streams).
 */
export function verifyRequest(
  request: IncomingToVerify,
  credentials: S3Credentials,
  nowMs: number,
): VerifiedRequest {
  const authorization = request.headers.authorization;
  const presigned = typeof authorization !== 'string' && request.query.has('X-Amz-Signature');
  if (typeof authorization !== 'string' && !presigned) {
    if (request.query.has('AWSAccessKeyId'))
      throw new S3Error(
        'InvalidRequest',
        'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      );
    if (request.query.has('X-Amz-Credential'))
      throw new S3Error(
        'AuthorizationQueryParametersError',
        'Query-string authentication version 4 requires X-Amz-Signature.',
      );
    throw new S3Error(
      'AccessDenied',
      'Access Denied: anonymous requests are not allowed; sign with Signature V4',
    );
  }
  const params = presigned
    ? queryAuthParams(request.query)
    : headerAuthParams(String(authorization), request.headers);
  checkCredential(params, credentials, presigned);
  checkTime(params, nowMs);
  const payloadHash = params.payloadHash;
  if (payloadHash === undefined)
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  const declared = declaredPayload(payloadHash);
  const signingKey = credentials.keys.keyFor(params.scope);
  checkSignature(request, params, payloadHash, signingKey);
  if (declared.kind !== 'chunked') return { presigned, payload: declared };
  const signing = declared.signed
    ? { signingKey, scope: params.scope, amzDate: params.amzDate, seedSignature: params.signature }
    : undefined;
  return { presigned, payload: { kind: 'chunked', trailer: declared.trailer, signing } };
}

function checkCredential(params: AuthParams, credentials: S3Credentials, presigned: boolean): void {
  if (params.accessKey !== credentials.accessKey)
    throw new S3Error(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      {
        AWSAccessKeyId: params.accessKey,
      },
    );
  const malformed = presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';
  if (params.scope.region !== credentials.region)
    throw new S3Error(
      malformed,
      `The authorization header is malformed; the region '${params.scope.region}' is wrong; expecting '${credentials.region}'`,
      { Region: credentials.region },
    );
  if (params.scope.service !== 's3')
    throw new S3Error(
      malformed,
      `The authorization header is malformed; incorrect service "${params.scope.service}". This endpoint belongs to "s3".`,
    );
  if (!params.signedHeaders.includes('host'))
    throw new S3Error(malformed, 'The authorization header is malformed; the host header must be signed.');
}

function checkTime(params: AuthParams, nowMs: number): void {
  const signedAt = amzDateMs(params.amzDate);
  if (Number.isNaN(signedAt))
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (params.expiresSeconds !== undefined) {
    if (nowMs + MAX_SKEW_MS < signedAt) throw new S3Error('AccessDenied', 'Request is not valid yet');
    if (nowMs > signedAt + params.expiresSeconds * 1000)
      throw new S3Error('AccessDenied', 'Request has expired');
    return;
  }
  if (Math.abs(nowMs - signedAt) > MAX_SKEW_MS)
    throw new S3Error(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      {
        RequestTime: params.amzDate,
        ServerTime: new Date(nowMs).toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
      },
    );
}

type DeclaredPayload =
  | Exclude<PayloadMode, { kind: 'chunked' }>
  | { kind: 'chunked'; trailer: boolean; signed: boolean };

function declaredPayload(hash: string): DeclaredPayload {
  if (/^[0-9a-f]{64}$/.test(hash)) return { kind: 'sha256', sha256: hash };
  switch (hash) {
    case 'UNSIGNED-PAYLOAD':
      return { kind: 'unsigned' };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { kind: 'chunked', trailer: true, signed: false };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
      return { kind: 'chunked', trailer: false, signed: true };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { kind: 'chunked', trailer: true, signed: true };
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER':
      throw new S3Error('NotImplemented', 'Signature Version 4A payloads are not supported');
    default:
      throw new S3Error(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) or a valid sha256 value.',
      );
  }
}

function checkSignature(
  request: IncomingToVerify,
  params: AuthParams,
  payloadHash: string,
  signingKey: Buffer,
): void {
  const signed = [...params.signedHeaders].sort();
  const headers = canonicalHeaders(request.rawHeaders, signed);
  let first: { canonical: string; stringToSign: string } | undefined;
  if (headers !== undefined) {
    for (const uri of canonicalUris(request.rawPath)) {
      const canonical = canonicalRequest(request, uri, headers, signed, payloadHash);
      const stringToSign = requestStringToSign(params.amzDate, params.scope, canonical);
      if (signaturesEqual(sign(signingKey, stringToSign), params.signature)) return;
      first ??= { canonical, stringToSign };
    }
  }
  throw new S3Error(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    {
      AWSAccessKeyId: params.accessKey,
      ...(first ? { StringToSign: first.stringToSign, CanonicalRequest: first.canonical } : {}),
      SignatureProvided: params.signature,
    },
  );
}
