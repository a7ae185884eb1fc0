import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One built file of the page, kept in memory with its gzipped form. */
export interface PageAsset {
  /** The name it is served under: content-hashed, so it can be cached for good. */
  name: string;
  type: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

export interface PageAssets {
  script: PageAsset;
  style: PageAsset;
}

/**
 * Where scripts/build.mjs writes the page: `dist/dashboard/`, beside the bundle that runs (the
 * services run from dist/), or, when ingest runs from source (tests, benchmarks), the same
 * folder of the repository.
 */
function assetsDir(): string | undefined {
  const candidates = [
    new URL('dashboard/', import.meta.url),
    new URL('../../../../../dist/dashboard/', import.meta.url),
  ];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}dashboard.js`)) return dir;
  }
  return undefined;
}

function asset(dir: string, file: string, type: string): PageAsset {
  const body = readFileSync(`${dir}${file}`);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const [stem, ext] = file.split('.');
  return {
    name: `${stem}.${hash}.${ext}`,
    type,
    body,
    gzipped: gzipSync(body, { level: 9 }),
    etag: `"${hash}"`,
  };
}

/** Reads the built page once, at start; undefined when it was never built. */
export function loadPageAssets(dir = assetsDir()): PageAssets | undefined {
  if (!dir) return undefined;
  return {
    script: asset(dir, 'dashboard.js', 'text/javascript; charset=utf-8'),
    style: asset(dir, 'dashboard.css', 'text/css; charset=utf-8'),
  };
}
