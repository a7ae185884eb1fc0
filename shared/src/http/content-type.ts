import { z } from 'zod';

export const OCTET_STREAM = 'application/octet-stream';

/** `type/subtype` as RFC 6838 restricts names, parameters dropped, lower-cased. */
const MediaType = z
  .string()
  .max(1024)
  .transform((value) => value.split(';')[0]?.trim().toLowerCase() ?? '')
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/));

/** The media type a client declared for an upload, or undefined when absent or not a media type. */
export function declaredMediaType(header: unknown): string | undefined {
  const parsed = MediaType.safeParse(header);
  return parsed.success ? parsed.data : undefined;
}

/** Families whose members a browser only displays, never runs. */
const PASSIVE_FAMILIES = ['image/', 'audio/', 'video/', 'font/'];
const PASSIVE_TYPES = new Set([
  'text/plain',
  'text/csv',
  'text/tab-separated-values',
  'text/markdown',
  'application/json',
  'application/zip',
  'application/gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
]);
/** Scriptable content that hides under a passive family (`image/svg+xml`) or a structured suffix. */
const ACTIVE_MARKERS = /html|xml|script|svg|xsl/;

/**
 * The Content-Type a download is served with: the uploaded media type when it is known to be
 * passive, else application/octet-stream. An allow list, so a type nobody thought of (PDF, which
 * can carry script, included) is served as opaque bytes.
 */
export function servedContentType(stored: string | undefined | null): string {
  const type = declaredMediaType(stored ?? undefined);
  if (!type || ACTIVE_MARKERS.test(type)) return OCTET_STREAM;
  if (PASSIVE_TYPES.has(type) || PASSIVE_FAMILIES.some((family) => type.startsWith(family))) return type;
  return OCTET_STREAM;
}
