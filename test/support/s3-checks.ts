import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { expect } from 'vitest';
import { download, sha256, waitForReplicas } from './http.ts';
import { S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, type S3Cluster } from './s3-cluster.ts';

/**
 * Whether an S3 client program is installed. Missing on CI (`CI=true`) is a failure, since a
 * skipped client matrix there would pass for a tested one; elsewhere the suite says so loudly.
 */
export function clientInstalled(name: string, command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    const reason = `${name} (${command}) is not installed here`;
    if (process.env.CI === 'true') throw new Error(`S3 client required on CI: ${reason}`);
    const line = '!'.repeat(78);
    console.warn(
      `\n${line}\n!! S3 CLIENT TESTS SKIPPED: ${reason}.\n!! apt-get install -y awscli rclone s3cmd\n${line}\n`,
    );
    return false;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client program to completion (killed after timeoutMs). */
export async function runCli(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs = 120_000,
): Promise<CliResult> {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}

/** Asserts a client command succeeded, showing its output when it did not. */
export function ok(result: CliResult, what: string): string {
  expect(result.code, `${what}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** An SDK client for the cluster, path style, trusting its self-signed certificate. */
export function sdkClient(cluster: S3Cluster, extra: Partial<S3ClientConfig> = {}): S3Client {
  const ca = cluster.caPath ? readFileSync(cluster.caPath) : undefined;
  return new S3Client({
    endpoint: cluster.s3,
    region: S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    ...(ca ? { requestHandler: { httpsAgent: new Agent({ ca }) } } : {}),
    ...extra,
  });
}

/** A plain request (fetch cannot trust a self-signed certificate): status, headers and body. */
export async function rawRequest(
  cluster: S3Cluster,
  url: string,
  options: { method?: string; body?: Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const ca = cluster.caPath ? readFileSync(cluster.caPath) : undefined;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ...(ca ? { ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The dfr file behind an object, from a presigned HEAD (`x-dfr-file-id`, `x-dfr-replicas`). */
export async function fileOf(
  cluster: S3Cluster,
  bucket: string,
  key: string,
): Promise<{ id: string; etag: string }> {
  const url = await getSignedUrl(sdkClient(cluster), new HeadObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: 300,
  });
  const head = await rawRequest(cluster, url, { method: 'HEAD' });
  expect(head.status, `HEAD ${bucket}/${key}`).toBe(200);
  expect(head.headers['x-dfr-replicas']).toMatch(/^\d+$/);
  return { id: String(head.headers['x-dfr-file-id']), etag: String(head.headers.etag) };
}

/** Every file under `dir`, by path relative to it. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(path.slice(dir.length + 1), await readFile(path));
  }
  return found;
}

/** Asserts two sets of files are byte for byte the same (hashes compared: a diff of 20 MiB buffers would not fit in memory). */
export function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  const digest = (files: Map<string, Buffer>) =>
    [...files].map(([path, bytes]) => [path, sha256(bytes)]).sort();
  expect(digest(actual)).toEqual(digest(expected));
}

/**
 * What S3 promised holds for dfr too: the object is a file with three verified replicas, and
 * ingest and every node serve exactly the bytes that were uploaded.
 */
export async function expectReplicated(
  cluster: S3Cluster,
  bucket: string,
  key: string,
  bytes: Buffer,
): Promise<void> {
  const { id } = await fileOf(cluster, bucket, key);
  await waitForReplicas(cluster.ingest, id, 3, 60_000);
  for (const source of [cluster.ingest, ...cluster.nodes.map((n) => n.url)]) {
    const got = await download(`${source}/files/${id}`);
    expect(got.status, `${source}/files/${id}`).toBe(200);
    expect(sha256(got.bytes), `${key} from ${source}`).toBe(sha256(bytes));
  }
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The files every client session uploads: `files/` with 2 KiB, 5 MiB and 20 MiB of random bytes, and `tree/`. */
export interface Fixtures {
  dir: string;
  files: { name: string; bytes: Buffer }[];
  /** `tree/` to sync: a few small files, one under the key-like name `&+-é"/x`. */
  tree: { path: string; bytes: Buffer }[];
}

export async function makeFixtures(dir: string): Promise<Fixtures> {
  await mkdir(dir, { recursive: true });
  const files = [
    { name: 'small.bin', bytes: randomBytes(2 * KiB) },
    { name: 'mid.bin', bytes: randomBytes(5 * MiB) },
    { name: 'big.bin', bytes: randomBytes(20 * MiB) },
  ];
  await mkdir(join(dir, 'files'), { recursive: true });
  for (const file of files) await writeFile(join(dir, 'files', file.name), file.bytes);
  const tree = [
    { path: 'a.txt', bytes: Buffer.from('alpha\n') },
    { path: 'sub/b.txt', bytes: Buffer.from('beta\n') },
    { path: 'sub/deeper/c.bin', bytes: randomBytes(3000) },
    { path: '&+-é"/x', bytes: Buffer.from('the key with every awkward character\n') },
  ];
  for (const entry of tree) {
    const path = join(dir, 'tree', entry.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, entry.bytes);
  }
  return { dir, files, tree };
}
