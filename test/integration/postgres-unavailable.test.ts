import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { type RunningIngest, startIngest } from '../../services/ingest/src/ingest-service.ts';
import { PgDatabase } from '../../services/ingest/src/store/postgres/pg-database.ts';
import { PostgresMetadataStore } from '../../services/ingest/src/store/postgres/postgres-metadata-store.ts';
import { MemoryBroker } from '../../shared/src/broker/memory-broker.ts';
import { parseConfig } from '../../shared/src/config.ts';
import { StatusBody, uploadPut } from '../support/http.ts';
import {
  createTestDatabase,
  describeWithPostgres,
  resolvePostgresUrl,
  type TestDatabase,
} from '../support/postgres.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait-for.ts';

const adminUrl = resolvePostgresUrl();

/** Ingest on PostgreSQL reached through a relay the test cuts: the database "goes away". */
describeWithPostgres('ingest while PostgreSQL is unreachable', adminUrl, (url) => {
  let dir = '';
  let database: TestDatabase;
  let proxy: TcpProxy;
  let broker: MemoryBroker;
  let ingest: RunningIngest;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfr-pg-down-'));
    database = await createTestDatabase(url);
    const target = new URL(database.url);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.listenPort}`;
    broker = new MemoryBroker();
    const config = ingestConfig(
      parseConfig(IngestEnv, {
        DFR_PORT: '0',
        DFR_HOST: '127.0.0.1',
        DFR_DATA_DIR: join(dir, 'data'),
        DFR_DATABASE_URL: target.toString(),
      }),
    );
    ingest = await startIngest(config, broker, pino({ level: 'silent' }));
  });

  afterEach(async () => {
    await proxy.open().catch(() => undefined);
    await ingest.stop();
    await broker.close();
    await proxy.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const errorCode = async (response: Response) =>
    ((await response.json()) as { error?: { code?: string } }).error?.code;

  it('answers 503 (never crashes) while it is down, and serves again once it is back', async () => {
    const { response, body } = await uploadPut(ingest.url, 'before.txt', Buffer.from('before'));
    expect(response.status).toBe(201);
    const before = StatusBody.parse(body);
    expect((await fetch(`${ingest.url}/readyz`)).status).toBe(200);

    await proxy.cut();
    const upload = await fetch(`${ingest.url}/files/during.txt`, { method: 'PUT', body: 'during' });
    expect(upload.status).toBe(503);
    expect(await errorCode(upload)).toBe('STORAGE_UNAVAILABLE');
    const status = await fetch(`${ingest.url}/files/${before.id}/status`);
    expect(status.status).toBe(503);
    expect(await errorCode(status)).toBe('STORAGE_UNAVAILABLE');
    expect((await fetch(`${ingest.url}/files`)).status).toBe(503);
    const ready = await fetch(`${ingest.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await errorCode(ready)).toBe('NOT_READY');
    expect((await fetch(`${ingest.url}/healthz`)).status).toBe(200);

    await proxy.open();
    await waitFor(async () => (await fetch(`${ingest.url}/readyz`)).status === 200, 15_000, 'ready again');
    expect((await fetch(`${ingest.url}/files/${before.id}/status`)).status).toBe(200);
    expect((await uploadPut(ingest.url, 'after.txt', Buffer.from('after'))).response.status).toBe(201);
  });
});

describeWithPostgres('a PostgreSQL store whose connections were cut', adminUrl, (url) => {
  it('a server that refuses writes gives STORAGE_UNAVAILABLE, and reads still work', async () => {
    const database = await createTestDatabase(url);
    const logger = pino({ level: 'silent' });
    const db = await PgDatabase.open({ url: database.url, logger, maxConnections: 2 });
    try {
      const store = await PostgresMetadataStore.open(db, logger);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${database.name} SET default_transaction_read_only = on`);
      // The setting applies to new sessions: end the store's, so its pool opens new ones.
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database.name],
      );
      await admin.end();
      const file = {
        id: randomUUID(),
        name: 'a',
        size: 1,
        sha256: 'a'.repeat(64),
        createdAt: new Date().toISOString(),
      };
      await waitFor(
        async () => {
          const outcome = await store
            .addFiles([{ file, nodes: ['node1'], target: ['node1'].length }], 0)
            .then(
              () => 'written',
              (err: { code?: string }) => err.code,
            );
          expect(outcome).toBe('STORAGE_UNAVAILABLE');
          // Until the pool's broken connections are gone, a write fails for that reason instead.
          return (
            (await db.query('SHOW default_transaction_read_only')).rows[0]?.default_transaction_read_only ===
            'on'
          );
        },
        10_000,
        'a read-only session',
      );
      await expect(
        store.addFiles([{ file, nodes: ['node1'], target: ['node1'].length }], 0),
      ).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      });
      expect(await store.getFile(file.id)).toBeUndefined();
    } finally {
      await db.close();
      await database.drop();
    }
  });

  it('listens again once the server is back, and hears the other processes again', async () => {
    const database = await createTestDatabase(url);
    const target = new URL(database.url);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.listenPort}`;
    const logger = pino({ level: 'silent' });
    const cutDb = await PgDatabase.open({ url: target.toString(), logger, maxConnections: 2 });
    const directDb = await PgDatabase.open({ url: database.url, logger, maxConnections: 2 });
    try {
      const cutOff = await PostgresMetadataStore.open(cutDb, logger);
      const other = await PostgresMetadataStore.open(directDb, logger);
      const heard: string[] = [];
      cutOff.onChange((id) => heard.push(id));
      await proxy.cut();
      await waitFor(() => !cutDb.isReachable(), 5_000, 'the cut noticed');
      await expect(cutOff.getFile(randomUUID())).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await proxy.open();
      await waitFor(() => cutDb.isReachable(), 15_000, 'the listener back');
      const id = randomUUID();
      const file = { id, name: 'a', size: 1, sha256: 'a'.repeat(64), createdAt: new Date().toISOString() };
      await other.addFiles([{ file, nodes: ['node1'], target: ['node1'].length }], 0);
      await waitFor(() => heard.includes(id), 5_000, 'the change heard');
      expect((await cutOff.getFile(id))?.id).toBe(id);
    } finally {
      await proxy.open().catch(() => undefined);
      await cutDb.close();
      await directDb.close();
      await proxy.close();
      await database.drop();
    }
  });
});
