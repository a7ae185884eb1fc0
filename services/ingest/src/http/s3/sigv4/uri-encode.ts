/**
 * Percent-encodes the way Signature V4 canonicalizes: every byte of the UTF-8 form except the
 * unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`), upper-case hex; `/` kept when
 * `keepSlash` (a path).
 */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (isUnreserved(byte) || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

/** Percent-decodes a URL component; `+` stays a plus (S3 clients send a space as `%20`). */
export function uriDecode(value: string): string {
  return decodeURIComponent(value);
}

/** The raw `name=value` pairs of a query string, decoded, in the order sent. */
export function queryPairs(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = equals < 0 ? part : part.slice(0, equals);
      const value = equals < 0 ? '' : part.slice(equals + 1);
      return [uriDecode(name), uriDecode(value)];
    });
}
