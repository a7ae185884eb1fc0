import type { EventQuery, EventStore, NewEvent, StoredEvent } from '../event-store.ts';
import { PG_METADATA_MIGRATIONS } from './migrations.ts';
import type { PgDatabase } from './pg-database.ts';

interface EventRow {
  id: number;
  type: string;
  file_id: string | null;
  node: string | null;
  at: string;
  data: Record<string, unknown> | null;
}

/**
 * EventStore on PostgreSQL, shared by every ingest instance. Ids come from an identity column,
 * so they grow in insertion order; a reader that resumes after an id could in principle miss an
 * event whose transaction committed after a later one's, which is why appends are small
 * single-statement transactions and SSE streams re-read a short way back (see event-feed.ts).
 */
export class PostgresEventStore implements EventStore {
  private constructor(private readonly db: PgDatabase) {}

  static async open(db: PgDatabase): Promise<PostgresEventStore> {
    await db.migrate('metadata', PG_METADATA_MIGRATIONS);
    return new PostgresEventStore(db);
  }

  async append(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction(
      async (client) => {
        await client.query(
          `INSERT INTO events (type, file_id, node, at, data)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])`,
          [
            events.map((e) => e.type),
            events.map((e) => e.fileId ?? null),
            events.map((e) => e.node ?? null),
            events.map((e) => e.at),
            events.map((e) => (e.data && Object.keys(e.data).length > 0 ? JSON.stringify(e.data) : null)),
          ],
        );
      },
      { durable: false },
    );
  }

  async read(query: EventQuery): Promise<StoredEvent[]> {
    const after = query.afterId ?? 0;
    const { rows } =
      query.fileId === undefined
        ? await this.db.query<EventRow>('SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2', [
            after,
            query.limit,
          ])
        : await this.db.query<EventRow>(
            'SELECT * FROM events WHERE file_id = $1 AND id > $2 ORDER BY id LIMIT $3',
            [query.fileId, after, query.limit],
          );
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      at: row.at,
      ...(row.file_id !== null ? { fileId: row.file_id } : {}),
      ...(row.node !== null ? { node: row.node } : {}),
      ...(row.data !== null ? { data: row.data } : {}),
    }));
  }

  async lastId(): Promise<number> {
    const { rows } = await this.db.query<{ id: number | null }>('SELECT max(id) AS id FROM events');
    return rows[0]?.id ?? 0;
  }

  async trim(keep: number): Promise<number> {
    const result = await this.db.query('DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - $1', [
      keep,
    ]);
    return result.rowCount ?? 0;
  }
}
