import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from './api-client.ts';

export interface StreamEvent {
  id: string | undefined;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Reads a text/event-stream (the service's SSE endpoints) and hands each event to `onEvent`;
 * resolves when the server ends the stream, or when `signal` aborts (the caller has seen
 * enough, or its deadline passed). node:http rather than fetch, whose body reader holds back
 * small chunks; an SSE line must show the moment it arrives.
 */
export function followEvents(
  url: string,
  token: string | undefined,
  onEvent: (event: StreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(url, { headers }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new CliError(`server answered ${res.statusCode} for ${new URL(url).pathname}`));
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) onEvent(event);
        }
      });
      res.on('end', resolve);
      res.on('error', (err) => {
        if (signal?.aborted) resolve();
        else reject(new CliError(`the event stream broke: ${err.message}`));
      });
    });
    req.on('error', (err) => {
      if (signal?.aborted) resolve();
      else reject(new CliError(`cannot reach ${new URL(url).origin}: ${err.message}`));
    });
    const stop = () => {
      req.destroy();
      resolve();
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    req.end();
  });
}

function parseBlock(block: string): StreamEvent | undefined {
  let id: string | undefined;
  let type = 'message';
  let data: string | undefined;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const at = line.indexOf(':');
    if (at < 0) continue;
    const field = line.slice(0, at);
    const value = line.slice(at + 1).trimStart();
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
  }
  if (data === undefined) return undefined;
  return { id, type, data: JSON.parse(data) as Record<string, unknown> };
}
