import { type ClientRequest, request } from 'node:http';
import { waitFor } from './wait-for.ts';

export interface SseEvent {
  id: string | undefined;
  type: string;
  data: Record<string, unknown>;
}

/** An open text/event-stream, its events collected as they come. */
export interface SseClient {
  status: number;
  events: SseEvent[];
  /** True once the server ended the stream. */
  ended(): boolean;
  /** Waits until an event matching `predicate` has arrived; resolves with it. */
  next(predicate: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens `url` as an event stream with node:http (headers such as Last-Event-ID as given). */
export function openEvents(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined;
    req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const events: SseEvent[] = [];
      let buffer = '';
      let done = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || !line.includes(':')) continue;
            const at = line.indexOf(':');
            fields.set(line.slice(0, at), line.slice(at + 1).trimStart());
          }
          const data = fields.get('data');
          if (data === undefined) continue;
          events.push({
            id: fields.get('id'),
            type: fields.get('event') ?? 'message',
            data: JSON.parse(data),
          });
        }
      });
      res.on('end', () => {
        done = true;
      });
      res.on('error', () => {
        done = true;
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        ended: () => done,
        async next(predicate, timeoutMs = 30_000) {
          let found: SseEvent | undefined;
          await waitFor(
            () => {
              found = events.find(predicate);
              return found !== undefined;
            },
            timeoutMs,
            'an event',
          );
          return found as SseEvent;
        },
        close: () => req?.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
