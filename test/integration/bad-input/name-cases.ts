import { expect } from 'vitest';
import type { RawResponse } from '../../support/raw-http.ts';
import { form, postForm } from './form.ts';
import { type BadInputCase, call, expectSafeDownload, statusOf, type Target } from './harness.ts';

/** The upload is stored under its id, named `expected` for display, and downloads safely. */
function keptAs(expected: string) {
  return async (response: RawResponse, target: Target) => {
    const status = statusOf(response);
    expect(status.name).toBe(expected);
    await expectSafeDownload(target, status.id, expected, 'application/octet-stream');
  };
}

const viaForm = (filename: string | Buffer) => (t: Target) =>
  postForm(t, form([{ name: 'file', filename, contentType: 'application/octet-stream', body: 'named' }]));
const viaPut = (encodedName: string) => (t: Target) =>
  call(t, 'PUT', `/files/${encodedName}`, { body: 'named' });

const named = (name: string, send: BadInputCase['send'], expected: string): BadInputCase => ({
  name,
  send,
  status: 201,
  check: keptAs(expected),
});

/** File names are display data: whatever they hold, nothing is written by them. */
export const nameCases: BadInputCase[] = [
  named('form name with ../ segments', viaForm('../../canary/owned.txt'), 'owned.txt'),
  named('form name that is an absolute path', viaForm('/etc/passwd'), 'passwd'),
  named('form name that is a Windows path', viaForm('C:\\Windows\\System32\\evil.dll'), 'evil.dll'),
  {
    name: 'form name that is just .. (no file name at all)',
    send: viaForm('..'),
    status: 400,
    code: 'MISSING_FILE',
  },
  {
    name: 'form name with raw control characters (a malformed part header)',
    send: viaForm('a\u0001b\u001b[31mc.txt'),
    status: 400,
    code: 'MALFORMED_UPLOAD',
  },
  named(
    'form name with an escaped CR LF (header injection)',
    viaForm('a%0D%0ASet-Cookie: x=1.txt'),
    'aSet-Cookie: x=1.txt',
  ),
  named('form name with a right-to-left override', viaForm('invoice\u202egpj.exe'), 'invoicegpj.exe'),
  named('form name of 10 000 characters', viaForm('n'.repeat(10_000)), 'n'.repeat(255)),
  named('form name in UTF-8', viaForm('résumé 履歴書.pdf'), 'résumé 履歴書.pdf'),
  named(
    'form name with bytes that are not UTF-8',
    viaForm(Buffer.from([0xff, 0xfe, 0x78, 0x2e, 0x62, 0x69, 0x6e])),
    '\ufffd\ufffdx.bin',
  ),
  named('form name with escaped quotes', viaForm('say %22hi%22; x=1.txt'), 'say "hi"; x=1.txt'),
  named('form name with a backslash', viaForm('dir\\name.txt'), 'name.txt'),
  {
    name: 'form name with a raw quote (unparseable, so no file name)',
    send: viaForm('say "hi".txt'),
    status: 400,
    code: 'MISSING_FILE',
  },
  named('PUT name with ../ segments', viaPut('..%2F..%2Fcanary%2Fowned.txt'), 'owned.txt'),
  named('PUT name that is an absolute path', viaPut('%2Fetc%2Fpasswd'), 'passwd'),
  named('PUT name that is a Windows path', viaPut('C%3A%5CWindows%5Cevil.dll'), 'evil.dll'),
  named('PUT name that is ..', viaPut('%2E%2E'), 'file'),
  named('PUT name with NUL and control characters', viaPut('a%00b%01%7Fc.txt'), 'abc.txt'),
  named('PUT name with CR LF', viaPut('a%0D%0ALocation%3A%20x.txt'), 'aLocation: x.txt'),
  named('PUT name of 3000 characters', viaPut('p'.repeat(3000)), 'p'.repeat(255)),
  named('PUT name that is only whitespace and controls', viaPut('%20%09%01%20'), 'file'),
  named('PUT name with a percent sign', viaPut('100%25%20done.txt'), '100% done.txt'),
  {
    name: 'PUT name that is not valid percent-encoded UTF-8',
    send: viaPut('%FF%FEx.bin'),
    status: 400,
    code: 'BAD_REQUEST',
  },
];
