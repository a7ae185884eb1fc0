import { ReplicaTally } from '../../../shared/src/live/replica-tally.ts';
import { EVENT_TYPES } from '../../ingest/src/events/event-types.ts';
import { type Api, HttpError } from './api.ts';
import { h } from './dom.ts';
import { humanBytes } from './format.ts';
import { LiveStream } from './live-stream.ts';
import type { FileStatus } from './types.ts';

/** One upload's row: the name, a bar, and a line of text under it. */
interface Row {
  bar: HTMLProgressElement;
  text: HTMLElement;
  item: HTMLElement;
}

function rowFor(list: HTMLElement, file: File): Row {
  const bar = h('progress');
  bar.max = Math.max(1, file.size);
  bar.value = 0;
  const text = h('span', { class: 'what', text: 'waiting' });
  const item = h(
    'li',
    { data: { upload: file.name, phase: 'waiting' } },
    h('strong', { text: file.name }),
    bar,
    text,
  );
  list.prepend(item);
  return { bar, text, item };
}

function phase(row: Row, name: string, text: string): void {
  row.item.dataset.phase = name;
  row.text.textContent = text;
}

/** PUT /files/<name> through XMLHttpRequest, whose upload events are what fetch lacks: bytes sent. */
function put(api: Api, file: File, row: Row): Promise<FileStatus> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/files/${encodeURIComponent(file.name)}`);
    for (const [name, value] of Object.entries(api.headers(api.token()))) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (progress) => {
      row.bar.value = progress.loaded;
      phase(row, 'sending', `${humanBytes(progress.loaded)} of ${humanBytes(file.size)} sent`);
    };
    xhr.onload = () => {
      let body: FileStatus & { error?: { message?: string } };
      try {
        body = JSON.parse(xhr.responseText || '{}');
      } catch {
        body = {} as typeof body;
      }
      if (xhr.status === 201) resolve(body);
      else reject(new HttpError(xhr.status, body.error?.message ?? `the server answered ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error('the connection failed'));
    xhr.send(file);
  });
}

/** Follows the file's event stream until it has its target of copies: the replica half of the bar. */
function followReplicas(status: FileStatus, row: Row, onDone: () => void): void {
  const tally = new ReplicaTally();
  row.item.dataset.fileId = status.id;
  row.bar.max = Math.max(1, status.target);
  const show = () => {
    row.bar.value = tally.count;
    phase(
      row,
      tally.whole ? 'done' : 'replicating',
      `replicas ${tally.count}/${tally.target} · ${status.id}`,
    );
  };
  tally.apply({ type: 'status', data: { ...status } });
  show();
  if (tally.whole) {
    onDone();
    return;
  }
  const stream: LiveStream = new LiveStream(
    `/files/${status.id}/events`,
    (event) => {
      tally.apply(event);
      show();
      if (tally.whole || tally.deleted) {
        stream.close();
        onDone();
      }
    },
    (state) => {
      // A file's stream that will not open (the file deleted meanwhile) is not tried again.
      if (state === 'offline') stream.close();
    },
    ['status', ...EVENT_TYPES],
  );
  stream.open();
}

/**
 * The upload box: files dropped on it or chosen go up one at a time, each showing the bytes
 * sent and then its replicas as they land.
 */
export function setUpUploads(
  api: Api,
  drop: HTMLElement,
  input: HTMLInputElement,
  list: HTMLElement,
  hooks: { onUploaded: () => void; onUnauthorized: () => void },
): void {
  let queue = Promise.resolve();
  const add = (files: Iterable<File>) => {
    for (const file of files) {
      const row = rowFor(list, file);
      queue = queue.then(async () => {
        try {
          const status = await put(api, file, row);
          hooks.onUploaded();
          followReplicas(status, row, hooks.onUploaded);
        } catch (err) {
          row.item.classList.add('bad');
          phase(row, 'failed', (err as Error).message);
          if (err instanceof HttpError && err.status === 401) hooks.onUnauthorized();
        }
      });
    }
  };
  input.addEventListener('change', () => {
    add(input.files ?? []);
    input.value = '';
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    add(event.dataTransfer?.files ?? []);
  });
}
