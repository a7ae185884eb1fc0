import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteTopology, uniquePrefix } from './amqp.ts';
import { type ServiceProcess, startService } from './processes.ts';

export const S3_ACCESS_KEY = 'test-access';
export const S3_SECRET_KEY = 'test-secret-key-0123';
export const S3_REGION = 'us-east-1';
const NODES = ['node1', 'node2', 'node3'];

/** Ingest with its S3 API and one worker per node, as separate processes on RabbitMQ. */
export interface S3Cluster {
  dir: string;
  /** Ingest's REST base URL. */
  ingest: string;
  /** The S3 endpoint (https:// with `tls`). */
  s3: string;
  /** The self-signed certificate the S3 port presents (PEM path), with `tls`. */
  caPath: string | undefined;
  /** Each node's download base URL. */
  nodes: { node: string; url: string }[];
  stop(): Promise<void>;
}

/** Makes a self-signed certificate for 127.0.0.1 with openssl. */
function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

export async function startS3Cluster(amqpUrl: string, options: { tls?: boolean } = {}): Promise<S3Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-s3-'));
  const prefix = uniquePrefix();
  const processes: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteTopology(amqpUrl, prefix, NODES);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const common = {
      AMQP_URL: amqpUrl,
      DFR_AMQP_PREFIX: prefix,
      DFR_HEARTBEAT_INTERVAL_MS: '1000',
      DFR_HOST: '127.0.0.1',
    };
    const tls = options.tls ? selfSignedCertificate(dir) : undefined;
    const ingest = await startService('ingest', 'ingest', [], {
      ...common,
      DFR_PORT: '0',
      DFR_DATA_DIR: join(dir, 'data'),
      DFR_S3_PORT: '0',
      DFR_S3_ACCESS_KEY: S3_ACCESS_KEY,
      DFR_S3_SECRET_KEY: S3_SECRET_KEY,
      ...(tls ? { DFR_S3_TLS_CERT: tls.cert, DFR_S3_TLS_KEY: tls.key } : {}),
    });
    processes.push(ingest);
    const s3Port = /S3 API ready at https?:\/\/[^\s:"]+:(\d+)/.exec(ingest.output())?.[1];
    if (!s3Port) throw new Error(`ingest did not start its S3 API:\n${ingest.output().slice(-2000)}`);
    const nodes: { node: string; url: string }[] = [];
    for (const node of NODES) {
      const worker = await startService(
        'worker',
        node,
        ['--node', node, '--port', '0', '--dir', join(dir, 'nodes', node)],
        common,
      );
      processes.push(worker);
      nodes.push({ node, url: `http://127.0.0.1:${worker.port()}` });
    }
    return {
      dir,
      ingest: `http://127.0.0.1:${ingest.port()}`,
      s3: `${tls ? 'https' : 'http'}://127.0.0.1:${s3Port}`,
      caPath: tls?.cert,
      nodes,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
