import { z } from 'zod';
import { ConfigError, env } from '../../../../../shared/src/config.ts';

/** The S3 API's variables (API.md, "S3 API"), part of ingest's environment. */
export const S3Env = {
  DFR_S3_PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).max(65535).optional(),
  ),
  DFR_S3_ACCESS_KEY: env.optionalString(),
  DFR_S3_SECRET_KEY: env.optionalString(),
  DFR_S3_REGION: env.string('us-east-1'),
  DFR_S3_TLS_CERT: env.optionalString(),
  DFR_S3_TLS_KEY: env.optionalString(),
};

const S3EnvSchema = z.object(S3Env);
type S3EnvValues = z.infer<typeof S3EnvSchema>;

/** The S3 API's settings; absent when DFR_S3_PORT is unset. */
export interface S3Config {
  port: number;
  accessKey: string;
  secretKey: string;
  region: string;
  /** PEM files: when set, the S3 port speaks HTTPS (clients such as aws-cli v1 frame bodies differently over TLS). */
  tls?: { certPath: string; keyPath: string } | undefined;
  /** True when the key pair is the all-in-one default, which start-up warns about. */
  defaultKeys: boolean;
}

/** What `npm start` uses when the operator sets nothing: port 9080 and a published key pair. */
export const ALL_IN_ONE_S3 = { port: 9080, accessKey: 'dfr-access', secretKey: 'dfr-secret-key' };

/** The S3 settings of an environment, with `defaults` filling what is unset (all-in-one). */
export function s3Config(e: S3EnvValues, defaults?: typeof ALL_IN_ONE_S3): S3Config | undefined {
  const port = e.DFR_S3_PORT ?? defaults?.port;
  if (port === undefined) return undefined;
  const problems: string[] = [];
  const accessKey = e.DFR_S3_ACCESS_KEY ?? defaults?.accessKey;
  const secretKey = e.DFR_S3_SECRET_KEY ?? defaults?.secretKey;
  if (!accessKey) problems.push('DFR_S3_ACCESS_KEY: required when DFR_S3_PORT is set');
  else if (!/^[\x21-\x7e]{3,128}$/.test(accessKey))
    problems.push('DFR_S3_ACCESS_KEY: must be 3-128 printable ASCII characters without spaces');
  if (!secretKey) problems.push('DFR_S3_SECRET_KEY: required when DFR_S3_PORT is set');
  else if (!/^[\x21-\x7e]{8,128}$/.test(secretKey))
    problems.push('DFR_S3_SECRET_KEY: must be 8-128 printable ASCII characters without spaces');
  if (!/^[a-z0-9-]{1,32}$/.test(e.DFR_S3_REGION))
    problems.push('DFR_S3_REGION: must be a region name such as us-east-1');
  if (Boolean(e.DFR_S3_TLS_CERT) !== Boolean(e.DFR_S3_TLS_KEY))
    problems.push('DFR_S3_TLS_CERT: DFR_S3_TLS_CERT and DFR_S3_TLS_KEY go together');
  if (problems.length > 0 || !accessKey || !secretKey) throw new ConfigError(problems);
  return {
    port,
    accessKey,
    secretKey,
    region: e.DFR_S3_REGION,
    tls:
      e.DFR_S3_TLS_CERT && e.DFR_S3_TLS_KEY
        ? { certPath: e.DFR_S3_TLS_CERT, keyPath: e.DFR_S3_TLS_KEY }
        : undefined,
    defaultKeys: !e.DFR_S3_ACCESS_KEY || !e.DFR_S3_SECRET_KEY,
  };
}
