import { S3Error } from '../s3-error.ts';
import { ALGORITHM, type Scope } from './signing.ts';

/** What a request's signature says about itself, from its Authorization header or its query. */
export interface AuthParams {
  accessKey: string;
  scope: Scope;
  signedHeaders: string[];
  signature: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  /** Presigned URLs only: seconds the URL is valid after amzDate. */
  expiresSeconds?: number;
  /** The payload hash the canonical request ends with, as the client declared it. */
  payloadHash: string | undefined;
}

/** Longest validity of a presigned URL, as in S3: seven days. */
const MAX_PRESIGNED_SECONDS = 604_800;

const AMZ_DATE = /^(\d{8})T\d{6}Z$/;

/** Reads `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export function headerAuthParams(authorization: string, headers: Record<string, unknown>): AuthParams {
  if (/^AWS /.test(authorization)) {
    throw new S3Error(
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    if (authorization.startsWith('AWS4-ECDSA-P256-SHA256'))
      throw new S3Error(
        'NotImplemented',
        'Signature Version 4A is not supported; sign with AWS4-HMAC-SHA256',
      );
    throw malformedHeader('the authorization header must start with AWS4-HMAC-SHA256');
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature)
    throw malformedHeader('the authorization header needs Credential, SignedHeaders and Signature');
  const amzDate = stringHeader(headers['x-amz-date']) ?? amzDateOf(stringHeader(headers.date));
  if (!amzDate)
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const { accessKey, scope } = parseCredential(credential, malformedHeader);
  checkScopeDate(scope, amzDate, malformedHeader);
  return {
    accessKey,
    scope,
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    payloadHash: stringHeader(headers['x-amz-content-sha256']),
  };
}

/** Reads the `X-Amz-*` parameters of a presigned URL. */
export function queryAuthParams(query: Map<string, string>): AuthParams {
  const missing = (name: string): never => {
    throw malformedQuery(`Query-string authentication requires the ${name} parameter`);
  };
  const algorithm = query.get('X-Amz-Algorithm') ?? missing('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM) throw malformedQuery(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const credential = query.get('X-Amz-Credential') ?? missing('X-Amz-Credential');
  const amzDate = query.get('X-Amz-Date') ?? missing('X-Amz-Date');
  const expires = query.get('X-Amz-Expires') ?? missing('X-Amz-Expires');
  const signedHeaders = query.get('X-Amz-SignedHeaders') ?? missing('X-Amz-SignedHeaders');
  const signature = query.get('X-Amz-Signature') ?? missing('X-Amz-Signature');
  const expiresSeconds = Number(expires);
  if (!/^\d{1,7}$/.test(expires) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGNED_SECONDS)
    throw malformedQuery(`X-Amz-Expires must be between 1 and ${MAX_PRESIGNED_SECONDS} seconds`);
  if (!AMZ_DATE.test(amzDate))
    throw malformedQuery("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const { accessKey, scope } = parseCredential(credential, malformedQuery);
  checkScopeDate(scope, amzDate, malformedQuery);
  return {
    accessKey,
    scope,
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    expiresSeconds,
    payloadHash: query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  };
}

function parseCredential(
  credential: string,
  malformed: (m: string) => S3Error,
): { accessKey: string; scope: Scope } {
  const parts = credential.split('/');
  const [accessKey, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKey || !date || !region || !service || terminator !== 'aws4_request')
    throw malformed('the Credential must be <access key>/<date>/<region>/s3/aws4_request');
  if (!/^\d{8}$/.test(date)) throw malformed('the Credential date must be YYYYMMDD');
  return { accessKey, scope: { date, region, service } };
}

function checkScopeDate(scope: Scope, amzDate: string, malformed: (m: string) => S3Error): void {
  const day = AMZ_DATE.exec(amzDate)?.[1];
  if (!day) throw malformed("x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (day !== scope.date)
    throw malformed(`the Credential date ${scope.date} is not the date of the request (${day})`);
}

/** An RFC 1123 `Date` header as `YYYYMMDDTHHMMSSZ`. */
function amzDateOf(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const ms = Date.parse(date);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/** Milliseconds since the epoch of a `YYYYMMDDTHHMMSSZ` date. */
export function amzDateMs(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function stringHeader(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function malformedHeader(message: string): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}.`);
}

function malformedQuery(message: string): S3Error {
  return new S3Error('AuthorizationQueryParametersError', `${message}.`);
}
