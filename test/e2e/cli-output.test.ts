import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cleanEnv, repoRoot, runClient, type ServiceProcess, startAllInOne } from '../support/processes.ts';

const run = promisify(execFile);
const ESC = '\u001b';
const Status = z.object({ id: z.string(), status: z.string(), replicas: z.number(), target: z.number() });

/**
 * What the `dfr` CLI prints, against `npm start`'s process (embedded broker): the plain lines
 * tools parse, unchanged and uncoloured in a pipe even on CI or with FORCE_COLOR; one JSON
 * document per command with `--json` (one object a line for streams); and, on a terminal
 * (`script` gives the CLI a pseudo-terminal), the progress bar and colours, which NO_COLOR
 * turns off.
 */
describe('CLI output', () => {
  let dir = '';
  let service: ServiceProcess;
  let server = '';
  let small = '';
  let large = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-cli-'));
    service = await startAllInOne(dir);
    server = `http://127.0.0.1:${service.port()}`;
    small = join(dir, 'notes.txt');
    large = join(dir, 'photo.bin');
    await writeFile(small, 'notes of the day\n');
    await writeFile(large, randomBytes(2 * 1024 * 1024));
  });

  afterAll(async () => {
    await service?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const dfr = (args: string[], env: Record<string, string> = {}) =>
    runClient([...args, '--server', server], env);

  /** The CLI on a pseudo-terminal (`script -qec`), its screen as one string. */
  const onTerminal = async (args: string[], env: Record<string, string> = {}) => {
    const command = [process.execPath, join(repoRoot, 'dist/client.mjs'), ...args, '--server', server].join(
      ' ',
    );
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv({ TERM: 'xterm', ...env }),
      timeout: 60_000,
    });
    return stdout;
  };

  it('prints the plain lines in a pipe, uncoloured even on CI and with FORCE_COLOR', async () => {
    const result = await dfr(['upload', small], { CI: 'true', FORCE_COLOR: '1' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f-]{36}\nServer response: UPLOAD_OK 3\nUpload Successful\n$/);
    expect(result.stderr).toBe('');
  });

  it('prints one JSON document for upload, status, ls, nodes, download, drain, fsck and rm', async () => {
    const uploaded = await dfr(['upload', small, large, '--json']);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const files = z.array(Status.extend({ path: z.string() })).parse(JSON.parse(uploaded.stdout));
    expect(files.map((f) => [f.path, f.status])).toEqual([
      [small, 'UPLOAD_OK 3'],
      [large, 'UPLOAD_OK 3'],
    ]);
    const id = files[0]?.id ?? '';

    const json = async (args: string[]) => {
      const result = await dfr([...args, '--json']);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      return JSON.parse(result.stdout) as unknown;
    };
    expect(Status.parse(await json(['status', id])).replicas).toBe(3);
    const page = z.object({ files: z.array(Status), next: z.string().nullable() }).parse(await json(['ls']));
    expect(page.files.map((f) => f.id)).toContain(id);
    const nodes = z.array(z.object({ id: z.string(), state: z.string() })).parse(await json(['nodes']));
    expect(nodes.map((n) => n.state)).toEqual(['up', 'up', 'up']);
    const saved = join(dir, 'saved.txt');
    expect(await json(['download', id, '-o', saved])).toMatchObject({ id, path: saved, size: 17 });
    expect(await readFile(saved, 'utf8')).toBe('notes of the day\n');
    expect(await json(['drain', 'node2'])).toMatchObject({ id: 'node2', state: 'draining' });
    expect(await json(['drain', 'node2', '--cancel'])).toMatchObject({ id: 'node2' });
    expect(await json(['fsck'])).toMatchObject({ healthy: true, files: 3 });
    expect(await json(['rm', id])).toEqual({ deleted: id });
  });

  it('follows a file as JSON lines with status --watch --json', async () => {
    const { stdout } = await dfr(['upload', small]);
    const id = stdout.split('\n')[0] ?? '';
    const watched = await dfr(['status', '--watch', id, '--json']);
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout
      .trim()
      .split('\n')
      .map((line) =>
        z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) }).parse(JSON.parse(line)),
      );
    expect(lines[0]?.type).toBe('status');
    expect(lines.at(-1)).toMatchObject({ type: 'status', data: { id, status: 'UPLOAD_OK 3' } });
  });

  it('reports a failure on stderr with --json too, and prints no document', async () => {
    const result = await dfr(['status', '00000000-0000-4000-8000-000000000000', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^dfr: server answered 404 .*\n$/);
  });

  it('draws a progress bar on a terminal, bytes then replicas, then the same lines in colour', async () => {
    const screen = await onTerminal(['upload', large]);
    expect(screen).toMatch(/photo\.bin +\[[#.]{30}\] [\d.]+ [KM]iB of 2\.0 MiB/);
    expect(screen).toMatch(/\[#{30}\] replicas 3\/3/);
    expect(screen).toContain('Server response: UPLOAD_OK 3');
    expect(screen).toContain(`${ESC}[32mUpload Successful${ESC}[39m`);
  });

  it('keeps the bar but drops the colours with NO_COLOR', async () => {
    const screen = await onTerminal(['upload', small], { NO_COLOR: '1' });
    expect(screen).toContain('replicas 3/3');
    expect(screen).toContain('Upload Successful');
    expect(screen).not.toMatch(new RegExp(`${ESC}\\[3\\dm`));
  });
});
