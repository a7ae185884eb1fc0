import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { UploadMode } from './http-client.ts';

const run = promisify(execFile);

/** The curl command line a user would type to upload `path` as `name` (arguments only). */
export function curlArgs(mode: UploadMode, base: string, name: string, path: string): string[] {
  const common = ['--silent', '--show-error', '--fail-with-body'];
  return mode === 'PUT'
    ? [...common, '-T', path, `${base}/files/${encodeURIComponent(name)}`]
    : [...common, '-F', `file=@${path};filename=${name}`, `${base}/files`];
}

/**
 * Uploads the file at `path` with the real curl (`curl -T` or `curl -F`), as a user would, and
 * returns the id from ingest's 201; curl exits once the answer is in.
 */
export async function curlUpload(
  mode: UploadMode,
  base: string,
  name: string,
  path: string,
): Promise<string> {
  const { stdout } = await run('curl', curlArgs(mode, base, name, path), { maxBuffer: 1024 * 1024 });
  return (JSON.parse(stdout) as { id: string }).id;
}
