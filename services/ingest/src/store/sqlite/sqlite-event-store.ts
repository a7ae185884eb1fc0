import type Database from 'better-sqlite3';
import type { EventQuery, EventStore, NewEvent, StoredEvent } from '../event-store.ts';
import { METADATA_MIGRATIONS, migrate } from './migrations.ts';

interface EventRow {
  id: number;
  type: string;
  file_id: string | null;
  node: string | null;
  at: string;
  data: string | null;
}

/** EventStore on ingest's SQLite database, sharing the connection of SqliteMetadataStore. */
export class SqliteEventStore implements EventStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    migrate(db, 'metadata', METADATA_MIGRATIONS);
    this.statements = {
      insert: db.prepare('INSERT INTO events (type, file_id, node, at, data) VALUES (?, ?, ?, ?, ?)'),
      after: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?'),
      ofFile: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE file_id = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      last: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM events'),
      trim: db.prepare('DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?'),
    };
  }

  async append(events: readonly NewEvent[]): Promise<void> {
    this.db.transaction(() => {
      for (const event of events) {
        const data = event.data && Object.keys(event.data).length > 0 ? JSON.stringify(event.data) : null;
        this.statements.insert.run(event.type, event.fileId ?? null, event.node ?? null, event.at, data);
      }
    })();
  }

  async read(query: EventQuery): Promise<StoredEvent[]> {
    const after = query.afterId ?? 0;
    const rows =
      query.fileId === undefined
        ? this.statements.after.all(after, query.limit)
        : this.statements.ofFile.all(query.fileId, after, query.limit);
    return rows.map(toEvent);
  }

  async lastId(): Promise<number> {
    return this.statements.last.get()?.id ?? 0;
  }

  async trim(keep: number): Promise<number> {
    return this.statements.trim.run(keep).changes;
  }
}

function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    at: row.at,
    ...(row.file_id !== null ? { fileId: row.file_id } : {}),
    ...(row.node !== null ? { node: row.node } : {}),
    ...(row.data !== null ? { data: JSON.parse(row.data) as Record<string, unknown> } : {}),
  };
}
