const MAX_NAME_CHARS = 255;

/**
 * The name a client gave a file, reduced to something safe to show and to put in
 * Content-Disposition: the last path segment, without control characters, at most 255
 * characters. It is display data only and never part of a path.
 */
export function displayName(raw: string | undefined): string {
  const lastSegment = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const cleaned = lastSegment.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  const name = cleaned === '.' || cleaned === '..' ? '' : cleaned;
  return Array.from(name).slice(0, MAX_NAME_CHARS).join('') || 'file';
}
