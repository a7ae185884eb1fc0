import pino from 'pino';
import type { MetadataStore } from '../../services/ingest/src/store/metadata-store.ts';
import { PgDatabase } from '../../services/ingest/src/store/postgres/pg-database.ts';
import { PostgresEventStore } from '../../services/ingest/src/store/postgres/postgres-event-store.ts';
import { PostgresMembershipStore } from '../../services/ingest/src/store/postgres/postgres-membership-store.ts';
import { PostgresMetadataStore } from '../../services/ingest/src/store/postgres/postgres-metadata-store.ts';
import { createTestDatabase, describeWithPostgres, resolvePostgresUrl } from '../support/postgres.ts';
import { eventStoreContract } from './event-store-contract.ts';
import { membershipStoreContract } from './membership-store-contract.ts';
import { healingContract, type MetadataFactory, metadataStoreContract } from './metadata-store-contract.ts';

const adminUrl = resolvePostgresUrl();
const logger = pino({ level: 'silent' });

describeWithPostgres('PostgreSQL metadata store', adminUrl, (url) => {
  const postgres: MetadataFactory = async () => {
    const database = await createTestDatabase(url);
    const opened: { store: MetadataStore; db: PgDatabase }[] = [];
    // Each store with a pool of its own, as in a process of its own.
    const open = async () => {
      const db = await PgDatabase.open({ url: database.url, logger, maxConnections: 3 });
      const store = await PostgresMetadataStore.open(db, logger);
      opened.push({ store, db });
      return store;
    };
    return {
      store: await open(),
      openAnother: open,
      async cleanup() {
        for (const { store, db } of opened) {
          await store.close();
          await db.close();
        }
        await database.drop();
      },
    };
  };

  metadataStoreContract('PostgreSQL', postgres, { shared: true });
  healingContract('PostgreSQL', postgres);

  membershipStoreContract('PostgreSQL', async () => {
    const database = await createTestDatabase(url);
    const pools: PgDatabase[] = [];
    const pool = async () => {
      const db = await PgDatabase.open({ url: database.url, logger, maxConnections: 3 });
      pools.push(db);
      return db;
    };
    const first = await pool();
    const metadata = await PostgresMetadataStore.open(first, logger);
    return {
      nodes: await PostgresMembershipStore.open(first),
      metadata,
      openAnother: async () => PostgresMembershipStore.open(await pool()),
      async cleanup() {
        await metadata.close();
        for (const db of pools) await db.close();
        await database.drop();
      },
    };
  });

  eventStoreContract('PostgreSQL', async () => {
    const database = await createTestDatabase(url);
    const pools: PgDatabase[] = [];
    const open = async () => {
      const db = await PgDatabase.open({ url: database.url, logger, maxConnections: 3 });
      pools.push(db);
      return PostgresEventStore.open(db);
    };
    return {
      events: await open(),
      openAnother: open,
      async cleanup() {
        for (const db of pools) await db.close();
        await database.drop();
      },
    };
  });
});
