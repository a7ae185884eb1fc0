import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawResponse } from '../../support/raw-http.ts';

let dir: Promise<string> | undefined;
const files = new Map<number, Promise<string>>();
let runs = 0;

/** A scratch folder for curl's files, outside every store. */
function workDir(): Promise<string> {
  dir ??= mkdtemp(join(tmpdir(), 'dfr-bad-input-curl-'));
  return dir;
}

/** A file of `bytes` bytes for curl to send, written once per size. */
export function curlFile(bytes: number): Promise<string> {
  let file = files.get(bytes);
  if (!file) {
    file = workDir().then(async (d) => {
      const path = join(d, `upload-${bytes}.bin`);
      await writeFile(path, Buffer.alloc(bytes, 0x61));
      return path;
    });
    files.set(bytes, file);
  }
  return file;
}

/** Removes the files curlFile wrote. */
export async function removeCurlFiles(): Promise<void> {
  if (dir) await rm(await dir, { recursive: true, force: true });
  dir = undefined;
  files.clear();
}

/**
 * Runs curl with `args` and returns the answer it got. A curl that exits with an error has
 * failed whatever it printed: its status is then 0 and its message is the body.
 */
export async function curlOutput(args: string[], timeoutMs: number): Promise<RawResponse> {
  const d = await workDir();
  const run = ++runs;
  const bodyFile = join(d, `body-${run}`);
  const headerFile = join(d, `headers-${run}`);
  const all = [
    '-sS',
    '-o',
    bodyFile,
    '-D',
    headerFile,
    '-w',
    '%{http_code}',
    '--max-time',
    String(timeoutMs / 1000),
    ...args,
  ];
  const outcome = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('curl', all, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
  try {
    if (outcome.code !== 0)
      return { status: 0, headers: {}, body: `curl exited ${outcome.code}: ${outcome.stderr.trim()}` };
    const blocks = (await readFile(headerFile, 'latin1')).split('\r\n\r\n').filter(Boolean);
    const statuses = blocks.map((block) => Number(block.split(' ')[1]));
    const final = blocks.at(-1) ?? '';
    const headers = Object.fromEntries(
      final
        .split('\r\n')
        .slice(1)
        .map((line) => [
          line.slice(0, line.indexOf(':')).trim().toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    return {
      status: Number(outcome.stdout),
      headers,
      body: await readFile(bodyFile, 'utf8'),
      informational: statuses.filter((status) => status < 200),
    };
  } finally {
    await rm(bodyFile, { force: true });
    await rm(headerFile, { force: true });
  }
}
