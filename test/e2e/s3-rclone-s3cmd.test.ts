import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRabbit, resolveAmqpUrl } from '../support/amqp.ts';
import {
  clientInstalled,
  expectReplicated,
  expectSameFiles,
  type Fixtures,
  makeFixtures,
  ok,
  readTree,
  runCli,
} from '../support/s3-checks.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, type S3Cluster, startS3Cluster } from '../support/s3-cluster.ts';

const amqpUrl = resolveAmqpUrl();
const haveRclone = clientInstalled('rclone', 'rclone', ['version']);
const haveS3cmd = clientInstalled('s3cmd', 's3cmd', ['--version']);

/** Everything a session uploads, by the path it has under its bucket (and under `back/` once downloaded). */
function uploaded(fixtures: Fixtures): Map<string, Buffer> {
  return new Map([
    ...fixtures.files.map((f) => [`files/${f.name}`, f.bytes] as const),
    ...fixtures.tree.map((t) => [`tree/${t.path}`, t.bytes] as const),
  ]);
}

async function expectAllReplicated(cluster: S3Cluster, bucket: string, fixtures: Fixtures): Promise<void> {
  for (const [key, bytes] of uploaded(fixtures)) await expectReplicated(cluster, bucket, key, bytes);
}

describeWithRabbit('S3 API with rclone and s3cmd', amqpUrl, (amqp) => {
  let cluster: S3Cluster;
  let fixtures: Fixtures;
  beforeAll(async () => {
    cluster = await startS3Cluster(amqp);
    fixtures = await makeFixtures(join(cluster.dir, 'work'));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** rclone refuses to start while AWS_CA_BUNDLE is set; it is configured by environment alone. */
  const rclone = (args: string[]) => {
    const { AWS_CA_BUNDLE: _ignored, ...env } = process.env;
    return runCli(
      'rclone',
      ['--config', join(fixtures.dir, 'no-rclone.conf'), ...args],
      {
        ...env,
        RCLONE_CONFIG_DFR_TYPE: 's3',
        RCLONE_CONFIG_DFR_PROVIDER: 'Other',
        RCLONE_CONFIG_DFR_ENDPOINT: cluster.s3,
        RCLONE_CONFIG_DFR_ACCESS_KEY_ID: S3_ACCESS_KEY,
        RCLONE_CONFIG_DFR_SECRET_ACCESS_KEY: S3_SECRET_KEY,
      },
      fixtures.dir,
    );
  };

  describe.skipIf(!haveRclone)('rclone', () => {
    it('mkdir, copy, sync, lsf and check; 20 MiB as 5 MiB parts; every byte back and on every node', async () => {
      ok(await rclone(['mkdir', 'dfr:rclone']), 'mkdir');
      ok(await rclone(['copy', 'files', 'dfr:rclone/files']), 'copy');
      ok(await rclone(['sync', 'tree', 'dfr:rclone/tree']), 'sync');
      ok(
        await rclone([
          'copy',
          '--s3-upload-cutoff',
          '5M',
          '--s3-chunk-size',
          '5M',
          'files/big.bin',
          'dfr:rclone/multipart',
        ]),
        'multipart copy',
      );
      const listed = ok(await rclone(['lsf', '-R', '--files-only', 'dfr:rclone']), 'lsf')
        .trim()
        .split('\n')
        .sort();
      expect(listed).toEqual([...uploaded(fixtures).keys(), 'multipart/big.bin'].sort());
      // check compares sizes and MD5s: the ETags, and rclone's own MD5 metadata for the multipart object.
      ok(await rclone(['check', 'files', 'dfr:rclone/files']), 'check files');
      ok(await rclone(['check', 'tree', 'dfr:rclone/tree']), 'check tree');
      ok(await rclone(['check', 'files/big.bin', 'dfr:rclone/multipart']), 'check multipart');
      const back = join(fixtures.dir, 'rclone-back');
      ok(await rclone(['copy', 'dfr:rclone', back]), 'download');
      expectSameFiles(
        await readTree(back),
        new Map([...uploaded(fixtures), ['multipart/big.bin', fixtures.files[2]?.bytes ?? Buffer.alloc(0)]]),
      );
      await rm(back, { recursive: true });
      await expectAllReplicated(cluster, 'rclone', fixtures);
      await expectReplicated(
        cluster,
        'rclone',
        'multipart/big.bin',
        fixtures.files[2]?.bytes ?? Buffer.alloc(0),
      );
    });

    it('sync uploads a changed file and deletes a removed one, check agrees, then purge', async () => {
      const changed = join(fixtures.dir, 'tree-changed');
      await writeFile(join(fixtures.dir, 'note.txt'), 'changed\n');
      ok(await rclone(['sync', 'tree', changed]), 'local copy');
      await writeFile(join(changed, 'a.txt'), 'alpha, changed\n');
      await rm(join(changed, 'sub', 'b.txt'));
      ok(await rclone(['sync', changed, 'dfr:rclone/tree']), 'sync changes');
      ok(await rclone(['check', changed, 'dfr:rclone/tree']), 'check after sync');
      expect(ok(await rclone(['lsf', '-R', '--files-only', 'dfr:rclone/tree']), 'lsf')).not.toContain(
        'sub/b.txt',
      );
      ok(await rclone(['purge', 'dfr:rclone']), 'purge');
      expect(ok(await rclone(['lsf', 'dfr:']), 'buckets')).not.toContain('rclone');
    });
  });

  const s3cmd = async (args: string[]) => {
    const config = join(fixtures.dir, 's3cfg');
    const host = cluster.s3.replace(/^https?:\/\//, '');
    await writeFile(
      config,
      `[default]\naccess_key = ${S3_ACCESS_KEY}\nsecret_key = ${S3_SECRET_KEY}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n`,
    );
    return runCli('s3cmd', ['-c', config, ...args], process.env, fixtures.dir);
  };

  describe.skipIf(!haveS3cmd)('s3cmd', () => {
    it('mb, put (20 MiB in 15 MiB parts), sync, ls, get, every byte back and on every node, rm -r, rb', async () => {
      ok(await s3cmd(['mb', 's3://s3cmd']), 'mb');
      ok(await s3cmd(['put', ...fixtures.files.map((f) => `files/${f.name}`), 's3://s3cmd/files/']), 'put');
      ok(await s3cmd(['sync', 'tree/', 's3://s3cmd/tree/']), 'sync');
      expect(ok(await s3cmd(['ls', 's3://s3cmd/']), 'ls')).toMatch(
        /DIR\s+s3:\/\/s3cmd\/files\/[\s\S]*DIR\s+s3:\/\/s3cmd\/tree\//,
      );
      const all = ok(await s3cmd(['ls', '-r', 's3://s3cmd']), 'ls -r');
      for (const key of uploaded(fixtures).keys()) expect(all).toContain(`s3://s3cmd/${key}`);
      const back = join(fixtures.dir, 's3cmd-back');
      await mkdir(back);
      ok(await s3cmd(['get', '-r', 's3://s3cmd/', `${back}/`]), 'get -r');
      expectSameFiles(await readTree(back), uploaded(fixtures));
      await rm(back, { recursive: true });
      await expectAllReplicated(cluster, 's3cmd', fixtures);
      ok(await s3cmd(['rm', '-r', '--force', 's3://s3cmd']), 'rm -r');
      ok(await s3cmd(['rb', 's3://s3cmd']), 'rb');
    });
  });
});
