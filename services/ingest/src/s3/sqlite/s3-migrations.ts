import type { Migration } from '../../store/sqlite/migrations.ts';

/**
 * The S3 front end's tables, numbered under the component `s3` in ingest's metadata database.
 * Keys are BLOBs of their UTF-8 bytes, so every comparison is the binary order S3 lists in.
 */
export const S3_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'buckets, objects, multipart uploads and parts',
    up(db) {
      db.exec(`
        CREATE TABLE s3_buckets (
          name TEXT PRIMARY KEY,
          created_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE s3_objects (
          bucket TEXT NOT NULL REFERENCES s3_buckets(name),
          key BLOB NOT NULL,
          file_id TEXT NOT NULL,
          size INTEGER NOT NULL,
          etag TEXT NOT NULL,
          last_modified TEXT NOT NULL,
          headers TEXT NOT NULL,
          checksum_algorithm TEXT,
          checksum_value TEXT,
          PRIMARY KEY (bucket, key)
        ) WITHOUT ROWID;
        CREATE TABLE s3_uploads (
          upload_id TEXT PRIMARY KEY,
          bucket TEXT NOT NULL REFERENCES s3_buckets(name),
          key BLOB NOT NULL,
          initiated_at TEXT NOT NULL,
          headers TEXT NOT NULL,
          checksum_algorithm TEXT
        ) WITHOUT ROWID;
        CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, upload_id);
        CREATE INDEX s3_uploads_by_age ON s3_uploads (initiated_at);
        CREATE TABLE s3_parts (
          upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
          part_number INTEGER NOT NULL,
          size INTEGER NOT NULL,
          etag TEXT NOT NULL,
          last_modified TEXT NOT NULL,
          file TEXT NOT NULL,
          checksum_algorithm TEXT,
          checksum_value TEXT,
          PRIMARY KEY (upload_id, part_number)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    name: 'the instance holding each part',
    up(db) {
      db.exec('ALTER TABLE s3_parts ADD COLUMN holder TEXT');
    },
  },
];
