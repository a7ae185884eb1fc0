import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { download, sha256 } from '../support/http.ts';
import { runClient, type ServiceProcess, startAllInOne } from '../support/processes.ts';

/**
 * `npm start`'s process: ingest and node1..node3 in one process on the embedded broker, driven
 * through the CLI as a new user would. Ports are 0 here so the test never collides with anything.
 */
describe('all-in-one on the embedded broker', () => {
  let dir = '';
  let service: ServiceProcess;
  let server = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-aio-'));
    service = await startAllInOne(dir);
    server = `http://127.0.0.1:${service.port()}`;
  });

  afterAll(async () => {
    const code = await service?.stop();
    expect(code).toBe(0);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the S3 API too, and warns that it accepts the default key pair', () => {
    expect(service.output()).toMatch(/S3 API ready at http:\/\/127\.0\.0\.1:\d+/);
    expect(service.output()).toContain('the S3 API accepts the default key pair dfr-access / dfr-secret-key');
  });

  it('says in one log line that it uses the embedded broker', () => {
    expect(service.output()).toMatch(/AMQP_URL is not set: using the embedded in-process broker/);
  });

  it('uploads with the CLI to UPLOAD_OK 3, and every node serves the bytes', async () => {
    const path = join(dir, 'hello.txt');
    const content = Buffer.from('hello replicated world\n'.repeat(500));
    await writeFile(path, content);
    const up = await runClient(['upload', path], { DFR_SERVER: server });
    expect(up.code, up.stderr).toBe(0);
    const [id, response, verdict] = up.stdout.trim().split('\n');
    expect(response).toBe('Server response: UPLOAD_OK 3');
    expect(verdict).toBe('Upload Successful');

    const nodes = z
      .array(z.object({ id: z.string(), url: z.string(), healthy: z.boolean() }))
      .parse(await (await fetch(`${server}/nodes`)).json());
    expect(nodes.map((n) => [n.id, n.healthy])).toEqual([
      ['node1', true],
      ['node2', true],
      ['node3', true],
    ]);
    for (const node of nodes) {
      const got = await download(`${node.url}/files/${id}`);
      expect(got.status).toBe(200);
      expect(sha256(got.bytes)).toBe(sha256(content));
    }

    const out = join(dir, 'back.txt');
    const down = await runClient(['download', String(id), '-o', out], { DFR_SERVER: server });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('Download Successful');
    expect(await readFile(out)).toEqual(content);
  });

  it('the CLI fails with one line and a non-zero exit when the server is unreachable or refuses', async () => {
    const unreachable = await runClient(['ls', '--server', 'http://127.0.0.1:1']);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);

    const unknown = await runClient(['status', '00000000-0000-4000-8000-000000000000'], {
      DFR_SERVER: server,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404.*NOT_FOUND/);

    const missing = await runClient(['upload', join(dir, 'no-such-file')], { DFR_SERVER: server });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
