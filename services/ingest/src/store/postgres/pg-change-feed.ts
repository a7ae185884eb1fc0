import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../../../../shared/src/logger.ts';
import type { PgDatabase, Queryable } from './pg-database.ts';

/** The NOTIFY channel of metadata changes. */
const CHANNEL = 'dfr_metadata_changes';
/** File ids per NOTIFY: PostgreSQL caps a payload at 8000 bytes; a UUID and a comma take 37. */
const IDS_PER_NOTIFY = 150;

/**
 * Which files changed, for listeners in every process on the database. A transaction queues
 * `pg_notify` with `<sender>|<id>,<id>...`, which PostgreSQL delivers only if it commits. This
 * process's listeners hear its own changes at once after the commit (`changed`) and skip the
 * echo of its NOTIFY by the sender tag; other processes hear them through their listener.
 */
export class PgChangeFeed {
  private readonly changes = new EventEmitter();
  /** Tells this feed's own notifications from other processes'. */
  private readonly sender = randomUUID();
  private stopListening: (() => void) | undefined;

  private constructor(private readonly logger: Logger) {
    this.changes.setMaxListeners(0);
  }

  static async open(db: PgDatabase, logger: Logger): Promise<PgChangeFeed> {
    const feed = new PgChangeFeed(logger);
    feed.stopListening = await db.listen(CHANNEL, (payload) => feed.heard(payload));
    return feed;
  }

  /** Queues the announcement of these files' changes in the caller's transaction. */
  async notify(client: Queryable, fileIds: readonly string[]): Promise<void> {
    const unique = [...new Set(fileIds)];
    for (let i = 0; i < unique.length; i += IDS_PER_NOTIFY) {
      const payload = `${this.sender}|${unique.slice(i, i + IDS_PER_NOTIFY).join(',')}`;
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
    }
  }

  /** Tells this process's listeners, once the transaction that notified has committed. */
  changed(fileIds: readonly string[]): void {
    for (const fileId of fileIds) {
      try {
        this.changes.emit('change', fileId);
      } catch (err) {
        this.logger.error({ err, fileId }, 'a metadata change listener threw');
      }
    }
  }

  onChange(listener: (fileId: string) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  close(): void {
    this.stopListening?.();
    this.changes.removeAllListeners();
  }

  private heard(payload: string): void {
    const bar = payload.indexOf('|');
    if (bar < 0 || payload.slice(0, bar) === this.sender) return;
    this.changed(payload.slice(bar + 1).split(','));
  }
}
