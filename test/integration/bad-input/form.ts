import type { RawResponse } from '../../support/raw-http.ts';
import { API_TOKEN, call, type Target } from './harness.ts';

export const BOUNDARY = 'dfr-bad-input-boundary';
export const FORM_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

export interface Part {
  name?: string;
  /** Raw bytes are written as they are, to send names that are not UTF-8. */
  filename?: string | Buffer;
  contentType?: string;
  /** Replaces the generated part headers. */
  rawHeaders?: string;
  body?: string | Buffer;
}

/** The header block and body of one part, without the boundary line. */
function part(p: Part): Buffer {
  const headers: Buffer[] = [];
  if (p.rawHeaders !== undefined) headers.push(Buffer.from(p.rawHeaders));
  else {
    headers.push(Buffer.from(`Content-Disposition: form-data; name="${p.name ?? 'file'}"`));
    if (p.filename !== undefined)
      headers.push(Buffer.from('; filename="'), Buffer.from(p.filename), Buffer.from('"'));
    if (p.contentType !== undefined) headers.push(Buffer.from(`\r\nContent-Type: ${p.contentType}`));
  }
  return Buffer.concat([...headers, Buffer.from('\r\n\r\n'), Buffer.from(p.body ?? '')]);
}

/** A multipart body; `close: false` leaves out the final boundary, as a truncated upload would. */
export function form(parts: Part[], options: { close?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(Buffer.from(`--${BOUNDARY}\r\n`), part(p), Buffer.from('\r\n'));
  if (options.close !== false) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** The opening of a form whose file part (field `file`) follows directly. */
export function fileHead(filename = 'upload.bin'): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`,
  );
}

export const FORM_TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

export function postForm(
  target: Target,
  body: Buffer,
  options: { contentType?: string; token?: string | null; query?: string } = {},
): Promise<RawResponse> {
  return call(target, 'POST', `/files${options.query ?? ''}`, {
    headers: { 'content-type': options.contentType ?? FORM_TYPE },
    body,
    token: options.token === undefined ? API_TOKEN : options.token,
  });
}
