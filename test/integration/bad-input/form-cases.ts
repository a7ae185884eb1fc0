import { expect } from 'vitest';
import { BOUNDARY, FORM_TYPE, form, postForm } from './form.ts';
import { type BadInputCase, call, statusOf } from './harness.ts';

const file = { name: 'file', filename: 'a.txt', body: 'hello' };
const field = (i: number) => ({ name: `field${i}`, body: 'x' });

/** Multipart bodies that are not the one-file form API.md asks for. */
export const formCases: BadInputCase[] = [
  {
    name: 'multipart without a file field',
    send: (t) => postForm(t, form([{ name: 'note', body: 'no file here' }])),
    status: 400,
    code: 'MISSING_FILE',
  },
  {
    name: 'the file in another field than `file`',
    send: (t) => postForm(t, form([{ ...file, name: 'upload' }])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a file part with an empty file name (a field, not a file)',
    send: (t) => postForm(t, form([{ ...file, filename: '' }])),
    status: 400,
    code: 'MISSING_FILE',
  },
  {
    name: 'a part without Content-Disposition',
    send: (t) => postForm(t, form([{ rawHeaders: 'Content-Type: text/plain', body: 'orphan' }])),
    status: 400,
    code: 'MISSING_FILE',
  },
  {
    name: 'a non-multipart body (JSON)',
    send: (t) =>
      call(t, 'POST', '/files', { headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' }),
    status: 400,
    code: 'MISSING_FILE',
  },
  {
    name: 'no body and no Content-Type',
    send: (t) => call(t, 'POST', '/files'),
    status: 400,
    code: 'MISSING_FILE',
  },
  {
    name: 'multipart without a boundary parameter',
    send: (t) => postForm(t, form([file]), { contentType: 'multipart/form-data' }),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a truncated form (no closing boundary)',
    send: (t) => postForm(t, form([file], { close: false })),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a form cut off inside the file part',
    send: (t) => postForm(t, form([file]).subarray(0, 90)),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a malformed part header',
    send: (t) => postForm(t, form([{ rawHeaders: 'this is not a header', body: 'x' }])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a part header over 16 KiB',
    send: (t) => postForm(t, form([{ ...file, filename: `${'h'.repeat(17 * 1024)}.txt` }])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a NUL byte in the part header',
    send: (t) => postForm(t, form([{ ...file, filename: 'a\u0000b.txt' }])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'too many parts (the file and 8 fields)',
    send: (t) => postForm(t, form([file, ...Array.from({ length: 8 }, (_, i) => field(i))])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'two files',
    send: (t) => postForm(t, form([file, { ...file, filename: 'b.txt' }])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a field value over 4 KiB',
    send: (t) => postForm(t, form([{ name: 'note', body: 'v'.repeat(5000) }, file])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a field name over 200 characters',
    send: (t) => postForm(t, form([{ name: 'n'.repeat(300), body: 'x' }, file])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a nested field name',
    send: (t) => postForm(t, form([{ name: 'a[b][c]', body: 'x' }, file])),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'a field before the file is ignored, the file is kept',
    send: (t) => postForm(t, form([{ name: 'note', body: 'hi' }, file])),
    status: 201,
    check: (response) => expect(statusOf(response)).toMatchObject({ name: 'a.txt', size: 5 }),
  },
  {
    name: 'an unknown boundary in the body',
    send: (t) =>
      postForm(t, form([file]), { contentType: `multipart/form-data; boundary=${BOUNDARY}-other` }),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  {
    name: 'the form as the raw body of PUT is stored as it is',
    send: (t) =>
      call(t, 'PUT', '/files/form.bin', { headers: { 'content-type': FORM_TYPE }, body: form([file]) }),
    status: 201,
    check: (response) =>
      expect(statusOf(response)).toMatchObject({ name: 'form.bin', contentType: 'application/octet-stream' }),
  },
];
