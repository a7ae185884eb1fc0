import { queryPairs, uriDecode, uriEncode } from './uri-encode.ts';

/** The parts of an HTTP request a signature covers, as they arrived. */
export interface RequestToSign {
  method: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  /** The query string as sent, without the `?`. */
  rawQuery: string;
  /** Node's `rawHeaders`: name, value, name, value, ... */
  rawHeaders: readonly string[];
}

/**
 * The canonical URIs a client may have signed, best guess first. Signature V4 for S3 encodes
 * the decoded path once (RFC 3986 unreserved characters and `/` kept), which is what the SDKs,
 * botocore and rclone do; the path exactly as sent is the fallback, for a client that signed
 * what it sent with its own idea of which characters need escaping.
 */
export function canonicalUris(rawPath: string): string[] {
  const path = rawPath === '' ? '/' : rawPath;
  try {
    const encoded = uriEncode(uriDecode(path), true);
    return encoded === path ? [path] : [encoded, path];
  } catch {
    return [path];
  }
}

/** The query, every name and value encoded, sorted by name then value; `X-Amz-Signature` left out. */
export function canonicalQuery(rawQuery: string): string {
  return queryPairs(rawQuery)
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => compare(a, b) || compare(av, bv))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `name:value\n` for each signed header, in the order of the (sorted) signed list: values
 * trimmed, inner runs of spaces made one, repeated headers joined with commas in arrival order.
 * Undefined when a signed header is missing from the request.
 */
export function canonicalHeaders(
  rawHeaders: readonly string[],
  signed: readonly string[],
): string | undefined {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const list = values.get(name) ?? [];
    list.push((rawHeaders[i + 1] ?? '').trim().replace(/\s+/g, ' '));
    values.set(name, list);
  }
  let out = '';
  for (const name of signed) {
    const list = values.get(name);
    if (!list) return undefined;
    out += `${name}:${list.join(',')}\n`;
  }
  return out;
}

/** The canonical request of Signature V4 for one candidate canonical URI. */
export function canonicalRequest(
  request: RequestToSign,
  canonicalUri: string,
  headers: string,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  return [
    request.method,
    canonicalUri,
    canonicalQuery(request.rawQuery),
    headers,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}
