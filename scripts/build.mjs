#!/usr/bin/env node
// Bundles each service's TypeScript into one ESM file in dist/, run by plain `node`. Running
// through tsx instead costs every process 30-35 MiB (its loader lives in a thread of its own)
// and a few hundred milliseconds at start (docs/decisions/0007-run-bundles.md).
// Dependencies stay in node_modules; only the project's own code is bundled. Takes ~50 ms.
// The dashboard's page (services/dashboard) is bundled for the browser into dist/dashboard/, from
// where ingest serves it: everything it runs is built here, nothing is fetched at run time.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(root, 'dist');

const entryPoints = {
  'all-in-one': 'services/all-in-one/src/main.ts',
  ingest: 'services/ingest/src/main.ts',
  worker: 'services/node-worker/src/main.ts',
  client: 'services/client/src/main.ts',
};

/** The dashboard: one script and one stylesheet (imported by the script), minified. */
const pageBuild = {
  absWorkingDir: root,
  entryPoints: { dashboard: 'services/dashboard/src/main.ts' },
  outdir: join(outDir, 'dashboard'),
  bundle: true,
  platform: 'browser',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  format: 'iife',
  minify: true,
  write: false,
  logLevel: 'warning',
};

/** Writes `dist/<service>.mjs` for every service (all-in-one, ingest, worker, client) and `dist/dashboard/`. */
export async function buildBundles() {
  const [services, page] = await Promise.all([
    build({
      absWorkingDir: root,
      entryPoints,
      outdir: outDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      target: 'node20',
      format: 'esm',
      write: false,
      logLevel: 'warning',
    }),
    build(pageBuild),
  ]);

  await mkdir(join(outDir, 'dashboard'), { recursive: true });
  // Several processes may build at once (npm start beside npm run worker): each file is written
  // aside and renamed into place, so a process never imports a half-written bundle.
  for (const file of [...services.outputFiles, ...page.outputFiles]) {
    const aside = `${file.path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(aside, file.contents);
      await rename(aside, file.path);
    } catch (err) {
      await rm(aside, { force: true });
      throw err;
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildBundles();
