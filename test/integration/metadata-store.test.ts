import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataStore } from '../../services/ingest/src/store/metadata-store.ts';
import { SqliteMetadataStore } from '../../services/ingest/src/store/sqlite/sqlite-metadata-store.ts';
import { metadataStoreContract } from './metadata-store-contract.ts';

metadataStoreContract(
  'SQLite',
  async () => {
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
  },
  { shared: false },
);
