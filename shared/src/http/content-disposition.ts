/** RFC 5987 attr-char: what may stand unescaped in `filename*`. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * `Content-Disposition: attachment` for a file name (RFC 6266): a plain-ASCII `filename` for old
 * clients and the exact name, UTF-8 and percent-encoded (RFC 5987), in `filename*`. The result
 * is printable ASCII whatever the name holds, so no name can break or add a header.
 */
export function attachmentDisposition(name: string): string {
  return `attachment; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

function asciiFallback(name: string): string {
  // `%` too: some clients percent-decode the plain `filename`.
  return Array.from(name, (char) => (/^[\x20-\x7e]$/.test(char) && !/["\\%]/.test(char) ? char : '_')).join(
    '',
  );
}

function encodeExtValue(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
