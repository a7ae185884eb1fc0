import pino from 'pino';
import type { MetadataStore } from '../../services/ingest/src/store/metadata-store.ts';
import { PgDatabase } from '../../services/ingest/src/store/postgres/pg-database.ts';
import { PostgresMetadataStore } from '../../services/ingest/src/store/postgres/postgres-metadata-store.ts';
import { createTestDatabase, describeWithPostgres, resolvePostgresUrl } from '../support/postgres.ts';
import { metadataStoreContract } from './metadata-store-contract.ts';

const adminUrl = resolvePostgresUrl();
const logger = pino({ level: 'silent' });

describeWithPostgres('PostgreSQL metadata store', adminUrl, (url) => {
  metadataStoreContract(
    'PostgreSQL',
    async () => {
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
    },
    { shared: true },
  );
});
