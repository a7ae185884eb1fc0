import { describe, expect, it } from 'vitest';
import { IngestEnv, ingestConfig } from '../../services/ingest/src/config.ts';
import { ALL_IN_ONE_S3 } from '../../services/ingest/src/http/s3/s3-config.ts';
import { ConfigError, parseConfig } from '../../shared/src/config.ts';

const configOf = (env: Record<string, string>, allInOne = false) =>
  ingestConfig(parseConfig(IngestEnv, env), allInOne ? ALL_IN_ONE_S3 : undefined).s3;

describe('S3 API configuration', () => {
  it('is off unless DFR_S3_PORT is set, except in all-in-one, which uses 9080 and the default key pair', () => {
    expect(configOf({})).toBeUndefined();
    expect(configOf({}, true)).toEqual({
      port: 9080,
      accessKey: 'dfr-access',
      secretKey: 'dfr-secret-key',
      region: 'us-east-1',
      tls: undefined,
      defaultKeys: true,
    });
  });

  it('needs both keys when the port is set on a separate ingest, and names the variables it misses', () => {
    expect(() => configOf({ DFR_S3_PORT: '9080' })).toThrowError(ConfigError);
    expect(() => configOf({ DFR_S3_PORT: '9080' })).toThrowError(/DFR_S3_ACCESS_KEY.*DFR_S3_SECRET_KEY/);
    const s3 = configOf({
      DFR_S3_PORT: '0',
      DFR_S3_ACCESS_KEY: 'key',
      DFR_S3_SECRET_KEY: 'a-long-secret',
      DFR_S3_REGION: 'eu-west-3',
    });
    expect(s3).toMatchObject({ port: 0, accessKey: 'key', region: 'eu-west-3', defaultKeys: false });
  });

  it('takes a certificate and key for TLS only together', () => {
    const keys = { DFR_S3_PORT: '9080', DFR_S3_ACCESS_KEY: 'key', DFR_S3_SECRET_KEY: 'a-long-secret' };
    expect(configOf({ ...keys, DFR_S3_TLS_CERT: '/c.pem', DFR_S3_TLS_KEY: '/k.pem' })?.tls).toEqual({
      certPath: '/c.pem',
      keyPath: '/k.pem',
    });
    expect(() => configOf({ ...keys, DFR_S3_TLS_CERT: '/c.pem' })).toThrowError(/DFR_S3_TLS_CERT/);
    expect(() => configOf({ ...keys, DFR_S3_PORT: 'x' })).toThrowError(/DFR_S3_PORT/);
  });
});
