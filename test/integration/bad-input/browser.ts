import { type Chromium, launchChromium } from '../../support/chromium.ts';
import type { RawResponse } from '../../support/raw-http.ts';
import { type Upload, uploadPath } from './clients.ts';
import { API_TOKEN, type Target } from './harness.ts';

let browser: Promise<Chromium> | undefined;

/** Starts the browser now rather than at the first browser case (it takes a second or two). */
export async function startBrowser(): Promise<void> {
  browser ??= launchChromium();
  await browser;
}

/** Closes the browser, if it was started. */
export async function closeBrowser(): Promise<void> {
  const started = browser;
  browser = undefined;
  await (await started?.catch(() => undefined))?.close();
}

/** `fetch` in headless Chromium: a Blob for PUT, FormData for POST, from a page of the target. */
export async function browserUpload(target: Target, upload: Upload): Promise<RawResponse> {
  browser ??= launchChromium();
  const page = await (await browser).pageAt(target.url);
  const token = upload.token === undefined ? API_TOKEN : upload.token;
  return page.evaluate(
    async ({ path, route, bytes, token }) => {
      const file = new Blob([new Uint8Array(bytes).fill(0x61)]);
      let body: Blob | FormData = file;
      if (route === 'form') {
        body = new FormData();
        body.append('file', file, 'upload.bin');
      }
      try {
        const response = await fetch(path, {
          method: route === 'put' ? 'PUT' : 'POST',
          body,
          headers: token === null ? {} : { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(60_000),
        });
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        return { status: response.status, headers, body: await response.text() };
      } catch (err) {
        return { status: 0, headers: {}, body: `browser fetch: ${String(err)}` };
      }
    },
    { path: uploadPath(upload), route: upload.route, bytes: upload.bytes, token },
  );
}
