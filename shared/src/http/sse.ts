import type { Request, Response } from 'express';

export interface SseOptions {
  /** A comment line this often keeps an idle stream open through proxies. */
  heartbeatMs?: number;
  /** A reader this far behind (bytes queued for it) is dropped rather than buffered for. */
  maxQueuedBytes?: number;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * One Server-Sent Events stream (text/event-stream) on an HTTP response: events with an `id:`
 * (what a reconnecting client sends back as Last-Event-ID), heartbeat comments, and a bound on
 * what may queue up for a slow reader: past it the connection is closed, so one stalled client
 * cannot make the server hold an unbounded backlog for it. The client reconnects and resumes.
 */
export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private readonly onClose: (() => void)[] = [];

  constructor(
    req: Request,
    private readonly res: Response,
    private readonly options: SseOptions = {},
  ) {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and friends would otherwise hold the events back in a buffer.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.write('retry: 2000\n\n');
    this.heartbeat = setInterval(
      () => this.write(': keep-alive\n\n'),
      options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    this.heartbeat.unref();
    res.on('close', () => this.finish());
  }

  /** Sends one event; false once the stream is closed (by the client, by `end`, or for lagging). */
  send(event: { id?: number | string; type: string; data: unknown }): boolean {
    const lines = [event.id !== undefined ? `id: ${event.id}` : '', `event: ${event.type}`];
    const data = JSON.stringify(event.data);
    return this.write(`${lines.filter(Boolean).join('\n')}\ndata: ${data}\n\n`);
  }

  /** Calls `listener` once the stream is over, whoever ended it. */
  whenClosed(listener: () => void): void {
    if (this.closed) listener();
    else this.onClose.push(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  end(): void {
    if (this.closed) return;
    this.res.end();
    this.finish();
  }

  private write(chunk: string): boolean {
    if (this.closed) return false;
    if (this.res.writableLength > (this.options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES)) {
      this.res.destroy();
      this.finish();
      return false;
    }
    this.res.write(chunk);
    return true;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const listener of this.onClose.splice(0)) listener();
  }
}
