const MAX_NAME_CHARS = 255;

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional and invisible formatting marks, which can make `exe.txt` display as `txt.exe`. */
const FORMATTING = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The name a client gave a file, reduced to something safe to show and to put in
 * Content-Disposition: the last path segment (either slash), well-formed Unicode without control
 * or bidirectional formatting characters, at most 255 characters, never `.` or `..`, never empty
 * (`file`). It is display data only and never part of a path.
 */
export function displayName(raw: string | undefined): string {
  const wellFormed = (raw ?? '').replace(LONE_SURROGATE, '\ufffd');
  const lastSegment = wellFormed.split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment.replace(CONTROL, '').replace(FORMATTING, '').trim();
  const name = Array.from(cleaned).slice(0, MAX_NAME_CHARS).join('').trim();
  return name === '' || name === '.' || name === '..' ? 'file' : name;
}
