import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The SHA-256 of nothing, which chunk signatures hash in place of chunk headers. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What a request's credential scope says: `<date>/<region>/<service>/aws4_request`. */
export interface Scope {
  date: string;
  region: string;
  service: string;
}

export function scopeString(scope: Scope): string {
  return `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * Derives signing keys (four HMACs each) and remembers the last few: every request of a day
 * signs with the same key, and chunked uploads sign every chunk with it.
 */
export class SigningKeys {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly secretKey: string) {}

  keyFor(scope: Scope): Buffer {
    const id = scopeString(scope);
    const cached = this.cache.get(id);
    if (cached) return cached;
    const dateKey = hmac(`AWS4${this.secretKey}`, scope.date);
    const key = hmac(hmac(hmac(dateKey, scope.region), scope.service), 'aws4_request');
    if (this.cache.size >= 8) this.cache.clear();
    this.cache.set(id, key);
    return key;
  }
}

/** The hex signature of a string to sign. */
export function sign(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hash of the canonical request>`. */
export function requestStringToSign(amzDate: string, scope: Scope, canonicalRequest: string): string {
  return [ALGORITHM, amzDate, scopeString(scope), sha256Hex(canonicalRequest)].join('\n');
}

/** The string each chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body signs, chained to the previous. */
export function chunkStringToSign(
  amzDate: string,
  scope: Scope,
  previous: string,
  chunkSha256: string,
): string {
  return [`${ALGORITHM}-PAYLOAD`, amzDate, scopeString(scope), previous, EMPTY_SHA256, chunkSha256].join(
    '\n',
  );
}

/** The string the trailer of a signed chunked body signs (`x-amz-trailer-signature`). */
export function trailerStringToSign(
  amzDate: string,
  scope: Scope,
  previous: string,
  trailerSha256: string,
): string {
  return [`${ALGORITHM}-TRAILER`, amzDate, scopeString(scope), previous, trailerSha256].join('\n');
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
