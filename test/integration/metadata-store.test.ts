import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataStore } from '../../services/ingest/src/store/metadata-store.ts';
import { openSqliteDatabase } from '../../services/ingest/src/store/sqlite/sqlite-database.ts';
import { SqliteEventStore } from '../../services/ingest/src/store/sqlite/sqlite-event-store.ts';
import { SqliteMembershipStore } from '../../services/ingest/src/store/sqlite/sqlite-membership-store.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';
import { eventStoreContract } from './event-store-contract.ts';
import { membershipStoreContract } from './membership-store-contract.ts';
import { healingContract, type MetadataFactory, metadataStoreContract } from './metadata-store-contract.ts';

const sqlite: MetadataFactory = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-meta-'));
  const path = join(dir, 'metadata.db');
  const opened: MetadataStore[] = [new SqliteMetadataStore(path)];
  return {
    store: opened[0] as MetadataStore,
    async openAnother() {
      const store = new SqliteMetadataStore(path);
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

metadataStoreContract('SQLite', sqlite, { shared: false });
healingContract('SQLite', sqlite);

membershipStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-members-'));
  const path = join(dir, 'metadata.db');
  const databases = [openSqliteDatabase(path)];
  const first = databases[0] as ReturnType<typeof openSqliteDatabase>;
  const metadata = new SqliteMetadataStore(first);
  return {
    nodes: new SqliteMembershipStore(first),
    metadata,
    async openAnother() {
      const db = openSqliteDatabase(path);
      databases.push(db);
      return new SqliteMembershipStore(db);
    },
    async cleanup() {
      for (const db of databases) db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

eventStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-events-'));
  const path = join(dir, 'metadata.db');
  const databases = [openSqliteDatabase(path)];
  return {
    events: new SqliteEventStore(databases[0] as ReturnType<typeof openSqliteDatabase>),
    async openAnother() {
      const db = openSqliteDatabase(path);
      databases.push(db);
      return new SqliteEventStore(db);
    },
    async cleanup() {
      for (const db of databases) db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
