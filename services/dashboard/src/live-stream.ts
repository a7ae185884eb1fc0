import { EVENT_TYPES } from '../../ingest/src/events/event-types.ts';
import type { LiveEvent } from './types.ts';

/** How long a stream that the server closed for good (a 401, a restart) waits before it is opened again. */
const REOPEN_MS = 3_000;

export type StreamState = 'live' | 'reconnecting' | 'offline';

/**
 * An EventSource that keeps going. While the connection drops and comes back, the browser
 * reconnects by itself and sends Last-Event-ID, so nothing is missed. When it gives up (an
 * answer that is not a stream: a 401 after the read session ran out, a 503 while ingest
 * restarts), this opens a new one with `?lastEventId=` (a header EventSource cannot set), so
 * nothing is missed then either.
 */
export class LiveStream {
  private source: EventSource | undefined;
  private lastId: string | undefined;
  private timer: number | undefined;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly onEvent: (event: LiveEvent) => void,
    private readonly onState: (state: StreamState) => void = () => undefined,
    private readonly types: readonly string[] = EVENT_TYPES,
  ) {}

  open(): void {
    this.stopped = false;
    window.clearTimeout(this.timer);
    this.source?.close();
    const url = this.lastId
      ? `${this.path}${this.path.includes('?') ? '&' : '?'}lastEventId=${this.lastId}`
      : this.path;
    const source = new EventSource(url);
    this.source = source;
    const handle = (message: MessageEvent<string>) => {
      if (message.lastEventId) this.lastId = message.lastEventId;
      try {
        this.onEvent({ id: message.lastEventId, type: message.type, data: JSON.parse(message.data) });
      } catch {
        // A line the page cannot read changes nothing it shows.
      }
    };
    for (const type of this.types) source.addEventListener(type, handle);
    source.onopen = () => this.onState('live');
    source.onerror = () => {
      if (this.source !== source || this.stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        this.onState('offline');
        this.timer = window.setTimeout(() => this.open(), REOPEN_MS);
      } else this.onState('reconnecting');
    };
  }

  close(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
  }
}
