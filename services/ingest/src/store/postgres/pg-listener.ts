import pg from 'pg';
import type { Logger } from '../../../../../shared/src/logger.ts';

const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * One dedicated connection that LISTENs: a pooled connection cannot, since the pool hands it to
 * other work and closes it when idle. When the connection drops it is opened again (backoff
 * from 250 ms doubling to 5 s) and every channel listened to again. Notifications sent while it
 * was down are lost: PostgreSQL does not keep them for a listener that is not connected.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private connected = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private delayMs = RECONNECT_FIRST_MS;
  private wasLost = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly logger: Logger,
    /** Told every time the connection comes up (true) or goes down (false). */
    private readonly onState: (connected: boolean) => void = () => undefined,
  ) {}

  /** Opens the connection; rejects if the first attempt fails (later ones retry on their own). */
  async start(): Promise<void> {
    await this.connect();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Calls `handler` with each payload sent on `channel`; returns the function that stops it. */
  async listen(channel: string, handler: (payload: string) => void): Promise<() => void> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      if (this.connected) await this.client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.setConnected(false);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      const set = this.handlers.get(message.channel);
      if (!set || message.payload === undefined) return;
      for (const handler of set) handler(message.payload);
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys())
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delayMs = RECONNECT_FIRST_MS;
    this.setConnected(true);
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.client || this.closed) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.setConnected(false);
    this.logger.warn({ err }, 'lost the PostgreSQL listening connection; reconnecting');
    this.retry();
  }

  private retry(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.connect().catch(() => {
        this.delayMs = Math.min(this.delayMs * 2, RECONNECT_MAX_MS);
        this.retry();
      });
    }, this.delayMs);
    this.retryTimer.unref();
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    if (connected && this.wasLost) this.logger.info('PostgreSQL listening connection is back');
    this.wasLost ||= !connected;
    this.onState(connected);
  }
}
