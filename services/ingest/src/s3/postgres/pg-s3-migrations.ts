import type { PgMigration } from '../../store/postgres/pg-migrations.ts';

/**
 * The S3 front end's tables on PostgreSQL, numbered under the component `s3`; the same shape as
 * SQLite's (s3/sqlite/s3-migrations.ts) as it stands after all of its steps. Keys are bytea of
 * their UTF-8 bytes, so comparisons and ORDER BY are the binary order S3 lists in; bucket names
 * and upload ids are text under the "C" collation, which compares bytes too, where the
 * database's default collation would ignore punctuation such as the `-` in upload ids.
 */
export const PG_S3_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'buckets, objects, multipart uploads and parts with the instance holding each',
    async up(client) {
      await client.query(`
        CREATE TABLE s3_buckets (
          name text COLLATE "C" PRIMARY KEY,
          created_at timestamptz NOT NULL
        );
        CREATE TABLE s3_objects (
          bucket text COLLATE "C" NOT NULL REFERENCES s3_buckets(name),
          key bytea NOT NULL,
          file_id text NOT NULL,
          size bigint NOT NULL,
          etag text NOT NULL,
          last_modified timestamptz NOT NULL,
          headers jsonb NOT NULL,
          checksum_algorithm text,
          checksum_value text,
          PRIMARY KEY (bucket, key)
        );
        CREATE TABLE s3_uploads (
          upload_id text COLLATE "C" PRIMARY KEY,
          bucket text COLLATE "C" NOT NULL REFERENCES s3_buckets(name),
          key bytea NOT NULL,
          initiated_at timestamptz NOT NULL,
          headers jsonb NOT NULL,
          checksum_algorithm text
        );
        CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, upload_id);
        CREATE INDEX s3_uploads_by_age ON s3_uploads (initiated_at);
        CREATE TABLE s3_parts (
          upload_id text COLLATE "C" NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
          part_number integer NOT NULL,
          size bigint NOT NULL,
          etag text NOT NULL,
          last_modified timestamptz NOT NULL,
          file text NOT NULL,
          checksum_algorithm text,
          checksum_value text,
          holder text,
          PRIMARY KEY (upload_id, part_number)
        );
      `);
    },
  },
];
