import type { PageAssets } from './page-assets.ts';

/**
 * The page's only policy: its own script and stylesheet, requests to this origin only (fetch,
 * XMLHttpRequest, EventSource), no inline code, no plugins, no framing, no form posts elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What the page must know before its first request: whether reads and writes want the API token. */
export interface PageAuth {
  readsNeedToken: boolean;
  writesNeedToken: boolean;
}

/** The page's skeleton; the script fills every part of it from the API. */
export function dashboardHtml(assets: PageAssets, auth: PageAuth): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dfr</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/${assets.style.name}">
<script defer src="/dashboard/assets/${assets.script.name}"></script>
</head>
<body data-reads-need-token="${auth.readsNeedToken}" data-writes-need-token="${auth.writesNeedToken}">
<header class="top">
  <h1>dfr</h1>
  <span id="live" class="live" data-live="connecting">connecting</span>
  <dl id="summary" class="summary"></dl>
  <form id="token-form" class="token" hidden>
    <label>API token <input id="token-input" type="password" autocomplete="off" required></label>
    <button type="submit">Use</button>
  </form>
  <button id="token-forget" class="token" type="button" hidden>Forget token</button>
</header>
<main class="grid">
  <section class="nodes">
    <h2>Nodes</h2>
    <table id="nodes">
      <thead><tr><th>Node</th><th>State</th><th>Zone</th><th>Free space</th><th>Files</th><th>Queue</th><th>Workers</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="upload">
    <h2>Upload</h2>
    <div id="drop" class="drop">
      <input id="file-input" type="file" multiple>
      <label for="file-input">Drop files here, or choose them</label>
    </div>
    <ul id="uploads" class="uploads"></ul>
  </section>
  <section class="files">
    <h2>Files <small id="files-note"></small></h2>
    <p id="legend" class="legend"></p>
    <table id="files"><thead></thead><tbody></tbody></table>
  </section>
  <section class="events">
    <h2>Events</h2>
    <ol id="feed" class="feed"></ol>
  </section>
  <section class="admin">
    <h2>Maintenance</h2>
    <button id="scrub" type="button">Scrub main copies</button>
    <output id="scrub-result"></output>
    <p id="message" class="message" role="status"></p>
  </section>
</main>
</body>
</html>
`;
}
