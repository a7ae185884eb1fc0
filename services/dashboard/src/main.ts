import './dashboard.css';
import { Api, HttpError } from './api.ts';
import { byId } from './dom.ts';
import { addToFeed } from './event-feed.ts';
import { renderFiles, renderLegend } from './files-view.ts';
import { columnsFor } from './format.ts';
import { LiveStream } from './live-stream.ts';
import { renderNodes } from './nodes-view.ts';
import { renderSummary } from './summary-view.ts';
import type { FileStatus, NodeView, Summary } from './types.ts';
import { setUpUploads } from './uploads.ts';

/** Files the table shows: the newest. */
const FILES_SHOWN = 50;
/** Events come in bursts: the tables are read again at most this often. */
const REFRESH_MIN_MS = 500;
/** And at least this often, for what no event announces (free space, a node turning suspect). */
const REFRESH_MAX_MS = 5_000;

const api = new Api();
const auth = document.body.dataset;
const tokenForm = byId<HTMLFormElement>('token-form');
const tokenInput = byId<HTMLInputElement>('token-input');
const forget = byId<HTMLButtonElement>('token-forget');
const message = byId('message');
const live = byId('live');
/** File names the feed can show instead of ids: those listed and those received lately. */
const names = new Map<string, string>();
const NAMES_KEPT = 2_000;

function remember(id: string, name: string): void {
  names.delete(id);
  names.set(id, name);
  // A Map iterates oldest first: the page open for days keeps only the recent ones.
  for (const oldest of names.keys()) {
    if (names.size <= NAMES_KEPT) break;
    names.delete(oldest);
  }
}

function say(text: string, bad = false): void {
  message.textContent = text;
  message.classList.toggle('bad', bad);
}

function askForToken(why: string): void {
  tokenForm.hidden = false;
  forget.hidden = true;
  say(why, true);
  tokenInput.focus();
}

function showTokenState(): void {
  const kept = api.token() !== null;
  tokenForm.hidden = kept || auth.writesNeedToken !== 'true';
  forget.hidden = !kept;
}

const feed = new LiveStream(
  '/events',
  (event) => {
    if (event.type === 'file.received' && typeof event.data.name === 'string')
      remember(String(event.data.fileId), event.data.name);
    addToFeed(byId('feed'), event, (id) => names.get(id));
    refreshSoon();
  },
  (state) => {
    live.dataset.live = state;
    live.textContent = state;
    if (state === 'live') refreshSoon();
  },
);

let refreshing = false;
let again = false;
let timer: number | undefined;

async function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const [nodes, page, summary] = await Promise.all([
      api.get<NodeView[]>('/nodes'),
      api.get<{ files: FileStatus[] }>(`/files?limit=${FILES_SHOWN}`),
      api.get<Summary>('/dashboard/summary'),
    ]);
    for (const file of page.files) remember(file.id, file.name);
    renderSummary(byId('summary'), summary);
    renderNodes(byId('nodes').querySelector('tbody') as HTMLElement, nodes, summary.queues, drain);
    const columns = columnsFor(
      nodes.map((n) => n.id),
      page.files,
    );
    renderFiles(byId<HTMLTableElement>('files'), page.files, columns);
    byId('files-note').textContent = `newest ${page.files.length} of ${summary.files}`;
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) {
      feed.close();
      askForToken('Reading the cluster needs the API token.');
    } else say(`Could not read the cluster: ${(err as Error).message}`, true);
  } finally {
    refreshing = false;
    schedule(again ? REFRESH_MIN_MS : REFRESH_MAX_MS);
    again = false;
  }
}

function schedule(ms: number): void {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => void refresh(), ms);
}

function refreshSoon(): void {
  if (refreshing) again = true;
  else schedule(REFRESH_MIN_MS);
}

/** Writes need the token when the server has one: ask for it rather than fail. */
async function write<T>(what: string, method: 'POST' | 'DELETE', path: string): Promise<T | undefined> {
  try {
    const answer = await api.send<T>(method, path);
    refreshSoon();
    return answer;
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) askForToken(`${what} needs the API token.`);
    else say(`${what} failed: ${(err as Error).message}`, true);
    return undefined;
  }
}

function drain(node: string, cancel: boolean): void {
  const path = `/nodes/${encodeURIComponent(node)}/drain`;
  void write(
    cancel ? `Cancelling the drain of ${node}` : `Draining ${node}`,
    cancel ? 'DELETE' : 'POST',
    path,
  ).then((answer) => answer && say(cancel ? `Drain of ${node} cancelled.` : `Draining ${node}.`));
}

byId('scrub').addEventListener('click', async () => {
  byId('scrub-result').textContent = 'scrubbing…';
  const report = await write<{ checked: number; removed: string[] }>('Scrubbing', 'POST', '/admin/scrub');
  byId('scrub-result').textContent = report
    ? `${report.checked} main copies checked, ${report.removed.length} damaged removed`
    : '';
});

tokenForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api.useToken(tokenInput.value);
    tokenInput.value = '';
    say('Token kept for this tab.');
    showTokenState();
    feed.open();
    await refresh();
  } catch (err) {
    say(
      err instanceof HttpError && err.status === 401 ? 'That token was refused.' : (err as Error).message,
      true,
    );
  }
});

forget.addEventListener('click', async () => {
  await api.forgetToken();
  showTokenState();
  say('Token forgotten.');
  if (auth.readsNeedToken === 'true') {
    feed.close();
    askForToken('Reading the cluster needs the API token.');
  }
});

setUpUploads(api, byId('drop'), byId<HTMLInputElement>('file-input'), byId('uploads'), {
  onUploaded: refreshSoon,
  onUnauthorized: () => askForToken('Uploading needs the API token.'),
});
renderLegend(byId('legend'));
showTokenState();
if (auth.readsNeedToken === 'true' && !api.token()) askForToken('Reading the cluster needs the API token.');
else {
  // The read session first: the event stream carries its cookie.
  void api.keepSession().then(() => {
    feed.open();
    return refresh();
  });
}
