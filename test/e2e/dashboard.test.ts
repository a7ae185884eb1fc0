import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { deleteTopology, describeWithRabbit, resolveAmqpUrl, uniquePrefix } from '../support/amqp.ts';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { type ServiceProcess, startService } from '../support/processes.ts';
import { waitFor } from '../support/wait-for.ts';

const amqpUrl = resolveAmqpUrl();
const browserReady = amqpUrl !== undefined && chromiumAvailable('the dashboard tests');
const NODES = ['node1', 'node2', 'node3', 'node4'];
const TOKEN = `t-${randomBytes(16).toString('hex')}`;
const WAIT_MS = 30_000;

/**
 * The dashboard in Debian's Chromium, against ingest and four workers as separate processes on
 * RabbitMQ, with reads protected by the API token (so the page's EventSource streams must ride
 * on the read session cookie): the token asked for, files uploaded through the drop zone's input
 * turning stored on three nodes, a worker stopped and its node turning down, a drain started and
 * cancelled from the page. A node is down after 2.5 s of silence, so all of it takes seconds.
 * The screenshot of the node loss stays in the test's temp dir (its path is printed); the rest
 * of that dir is removed.
 */
describeWithRabbit('dashboard in a browser', browserReady ? amqpUrl : undefined, (url) => {
  const prefix = uniquePrefix();
  let dir = '';
  let base = '';
  let ingest: ServiceProcess;
  const workers = new Map<string, ServiceProcess>();
  let browser: Chromium;
  let page: Page;
  const ids: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-dashboard-'));
    const common = {
      AMQP_URL: url,
      DFR_AMQP_PREFIX: prefix,
      DFR_HOST: '127.0.0.1',
      DFR_API_TOKEN: TOKEN,
      DFR_PROTECT_DOWNLOADS: 'true',
      DFR_HEARTBEAT_INTERVAL_MS: '300',
      DFR_INVENTORY_INTERVAL_MS: '0',
    };
    [ingest, browser] = await Promise.all([
      startService('ingest', 'ingest', [], {
        ...common,
        DFR_PORT: '0',
        DFR_DATA_DIR: join(dir, 'data'),
        DFR_NODES: NODES.join(','),
        DFR_NODE_SUSPECT_AFTER_MS: '1000',
        DFR_NODE_DOWN_AFTER_MS: '2500',
        DFR_RECONCILE_INTERVAL_MS: '300',
      }),
      launchChromium(),
    ]);
    base = `http://127.0.0.1:${ingest.port()}`;
    await Promise.all(
      NODES.map(async (node) => {
        const args = ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)];
        workers.set(node, await startService('worker', node, args, common));
      }),
    );
    page = await browser.pageAt(base);
    await page.setViewportSize({ width: 1400, height: 860 });
  });

  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const process of [ingest, ...workers.values()])
      console.error(`--- ${process?.name} ---\n${process?.output().slice(-6_000)}`);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([ingest, ...workers.values()].map((p) => p?.stop()));
    await deleteTopology(url, prefix, NODES);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const nodeState = (node: string, state: string) =>
    page.locator(`#nodes tr[data-node="${node}"][data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
  const storedCells = (id: string) =>
    page.locator(`#files tr[data-file="${id}"] td[data-state="stored"]`).count();
  /** Waits until the file's row shows three stored cells. */
  const whole = (id: string) =>
    waitFor(async () => (await storedCells(id)) === 3, WAIT_MS, `three stored cells for ${id}`);

  it('serves the page with its own bundled files, a CSP, and cacheable assets', async () => {
    const answer = await fetch(`${base}/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await answer.text();
    const script = /src="(\/dashboard\/assets\/dashboard\.[0-9a-f]{16}\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(html).not.toMatch(/https?:\/\//);
    const asset = await fetch(`${base}${script}`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
    // Reads want the token, and a cookie that is not a valid session opens nothing.
    expect((await fetch(`${base}/events`, { headers: { cookie: 'dfr_read=1.x' } })).status).toBe(401);
  });

  it('asks for the token, then shows the four nodes up', async () => {
    await page.goto(`${base}/`);
    await page.locator('#token-form').waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type="submit"]');
    for (const node of NODES) await nodeState(node, 'up');
    await page.locator('#live[data-live="live"]').waitFor({ timeout: WAIT_MS });
  });

  it('uploads through the drop zone: bytes, then replicas, then three stored cells per file', async () => {
    const files = [
      { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: randomBytes(3 * 1024 * 1024) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes of the day\n') },
      { name: 'report.pdf', mimeType: 'application/pdf', buffer: randomBytes(200_000) },
    ];
    await page.locator('#drop input[type="file"]').setInputFiles(files);
    for (const file of files) {
      const row = page.locator(`#uploads li[data-upload="${file.name}"][data-phase="done"]`);
      await row.waitFor({ timeout: WAIT_MS });
      expect(await row.textContent()).toContain('replicas 3/3');
      ids.push((await row.getAttribute('data-file-id')) ?? '');
    }
    for (const id of ids) await whole(id);
    // The feed came over the cookie-authenticated EventSource.
    await page.locator('#feed li[data-type="file.completed"]').first().waitFor({ timeout: WAIT_MS });
    expect(await page.locator('#summary [data-figure="files"]').textContent()).toBe('3');
  });

  it("shows a stopped worker's node down, its copies not counted, and saves a screenshot", async () => {
    // The node holding the first file's copies that is not the last to hold the others.
    const holder = await page
      .locator(`#files tr[data-file="${ids[0]}"] td[data-state="stored"]`)
      .first()
      .getAttribute('data-node');
    expect(holder).toBeTruthy();
    const lost = holder ?? '';
    await workers.get(lost)?.stop();
    await nodeState(lost, 'down');
    await page.locator(`#feed li[data-type="node.down"]`).first().waitFor({ timeout: WAIT_MS });
    await page
      .locator(`#files tr[data-file="${ids[0]}"] td[data-node="${lost}"][data-state="down"]`)
      .waitFor({ timeout: WAIT_MS });
    expect(await storedCells(ids[0] ?? '')).toBeGreaterThanOrEqual(2);
    // DFR_SCREENSHOT_DIR keeps the screenshot (how docs/dashboard.png is made); else it goes with the run.
    const shot = join(process.env.DFR_SCREENSHOT_DIR ?? dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.DFR_SCREENSHOT_DIR) console.log(`dashboard screenshot: ${shot}`);
    // The fourth node takes the lost copies: the file is whole again.
    await whole(ids[0] ?? '');
  });

  it('starts and cancels a drain, and scrubs, from the page', async () => {
    const node = NODES.find((n) => workers.get(n)?.child.exitCode === null) ?? 'node1';
    await page.click(`button[data-drain="${node}"]`);
    await nodeState(node, 'draining');
    await page.click(`button[data-drain="${node}"]`);
    await nodeState(node, 'up');
    await page.click('#scrub');
    await page.locator('#scrub-result', { hasText: 'main copies checked' }).waitFor({ timeout: WAIT_MS });
  });
});
