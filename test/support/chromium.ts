import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`, which .ci/run does); never a downloaded build. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** As RECIPES.md says: root needs --no-sandbox, the rest stops it reaching hosts it cannot reach. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests can run. Without Chromium a CI run (`CI=true`) fails here, since a
 * skipped browser test there would pass for a tested one; elsewhere they are skipped, loudly.
 */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const reason = `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`${what} need Chromium on CI: ${reason}`);
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! ${what.toUpperCase()} SKIPPED: ${reason}\n${line}\n`);
  return false;
}

export interface Chromium {
  /** The one tab, showing `origin` so that its fetch calls are same-origin (no CORS preflight). */
  pageAt(origin: string): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, removed again by close(). */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'dfr-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: FLAGS,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      async pageAt(origin) {
        if (!page.url().startsWith(`${origin}/`)) await page.goto(`${origin}/healthz`);
        return page;
      },
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}
