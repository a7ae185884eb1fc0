import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * docker-compose.yml can be started only where a Docker engine runs, which is not everywhere the
 * tests run. So this checks the file itself: its structure, and `config -q` of whichever compose
 * CLI is installed (both validate without an engine).
 */
const composePath = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Service = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string().optional() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(z.string(), Scalar), z.array(z.string())]).optional(),
  ports: z
    .array(
      z.union([
        z.string(),
        z.number(),
        z.object({ target: z.number(), published: z.union([z.string(), z.number()]).optional() }),
      ]),
    )
    .optional(),
  volumes: z
    .array(z.union([z.string(), z.object({ source: z.string().optional(), target: z.string() })]))
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string().optional() }))])
    .optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
});
type Service = z.infer<typeof Service>;

const ComposeFile = z.object({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.unknown()).optional(),
});

// Merge keys (`<<: *anchor`) are YAML 1.1; compose supports them, so the parser must too.
const compose = ComposeFile.parse(parse(readFileSync(composePath, 'utf8'), { merge: true }));
const NODES = ['node1', 'node2', 'node3'] as const;
const INGESTS = ['ingest', 'ingest-2'] as const;

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environmentOf(s: Service): Map<string, string> {
  const env = new Map<string, string>();
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const [key = '', ...rest] = entry.split('=');
      env.set(key, rest.join('='));
    }
  } else {
    for (const [key, value] of Object.entries(s.environment ?? {})) env.set(key, String(value ?? ''));
  }
  return env;
}

function commandOf(s: Service): string {
  return Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? '');
}

/** `"9000:9000"`, `"127.0.0.1:9000:9000"` or `{published: 9000}` pin a host port; `"9001"` does not. */
function pinsHostPort(port: NonNullable<Service['ports']>[number]): boolean {
  if (typeof port === 'number') return false;
  if (typeof port === 'object') return port.published !== undefined && port.published !== '';
  const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
  return parts.length >= 2 && parts[parts.length - 2] !== '';
}

/** The named volumes a service mounts, with their mount points. */
function namedVolumesOf(s: Service): { name: string; target: string }[] {
  return (s.volumes ?? []).flatMap((volume) => {
    const [source, target] =
      typeof volume === 'string' ? volume.split(':') : [volume.source ?? '', volume.target];
    const named = source !== undefined && target !== undefined && /^[a-zA-Z0-9][\w.-]*$/.test(source);
    return named ? [{ name: source, target }] : [];
  });
}

function dependsOnHealthy(s: Service, dependency: string): boolean {
  if (s.depends_on === undefined || Array.isArray(s.depends_on)) return false;
  return s.depends_on[dependency]?.condition === 'service_healthy';
}

/** A compose CLI that answers `version`, if any (`docker compose` v2 or `docker-compose` v1). */
function composeCli(): string[] | undefined {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    const [command = '', ...args] = cli;
    const probe = spawnSync(command, [...args, 'version'], { stdio: 'ignore', timeout: 20_000 });
    if (probe.status === 0) return cli;
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('runs RabbitMQ with a healthcheck that pings it', () => {
    const test = service('rabbitmq').healthcheck?.test;
    const line = Array.isArray(test) ? test.join(' ') : (test ?? '');
    expect(line).toMatch(/rabbitmq-diagnostics.*\bping\b/);
  });

  it('runs PostgreSQL with a healthcheck, its data on a named volume', () => {
    const postgres = service('postgres');
    const test = postgres.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(' ') : test).toContain('pg_isready');
    expect(namedVolumesOf(postgres).map((v) => v.target)).toContain('/var/lib/postgresql/data');
  });

  it.each(INGESTS)(
    'starts %s once RabbitMQ and PostgreSQL are healthy, on the shared database, with its own store',
    (name) => {
      const ingest = service(name);
      expect(dependsOnHealthy(ingest, 'rabbitmq')).toBe(true);
      expect(dependsOnHealthy(ingest, 'postgres')).toBe(true);
      expect(commandOf(ingest)).toContain('npm run ingest');
      const env = environmentOf(ingest);
      expect(env.get('DFR_PUBLIC_URL')).toBe(`http://${name}:9000`);
      expect(env.get('DFR_DATA_DIR')).toBe('/data');
      expect(env.get('DFR_DATABASE_URL')).toMatch(/^postgres:\/\/\S+@postgres:5432\/\w+$/);
      expect(namedVolumesOf(ingest)).toContainEqual({ name: expect.any(String), target: '/data' });
      // Reached through the proxy only, so the instances never fight over a host port.
      expect((ingest.ports ?? []).filter(pinsHostPort)).toEqual([]);
    },
  );

  it('gives every ingest instance a data directory of its own and the same database and tokens', () => {
    const volumes = INGESTS.map((name) =>
      namedVolumesOf(service(name))
        .map((v) => v.name)
        .join(','),
    );
    expect(new Set(volumes).size).toBe(INGESTS.length);
    for (const variable of ['DFR_DATABASE_URL', 'AMQP_URL', 'DFR_CLUSTER_TOKEN', 'DFR_API_TOKEN']) {
      const values = INGESTS.map((name) => environmentOf(service(name)).get(variable));
      expect(new Set(values).size, variable).toBe(1);
    }
  });

  it('publishes port 9000 through nginx, whose configuration names every ingest instance', () => {
    const proxy = service('proxy');
    expect((proxy.ports ?? []).map(String).join(' ')).toContain('9000:9000');
    for (const name of INGESTS) expect(dependsOnHealthy(proxy, name)).toBe(true);
    const mount = (proxy.volumes ?? []).map(String).find((v) => v.includes('/etc/nginx/conf.d/'));
    const source = mount?.split(':')[0] ?? '';
    const conf = readFileSync(join(repoRoot, source), 'utf8');
    for (const name of INGESTS) expect(conf).toContain(`server ${name}:9000`);
    // Streams both ways, with no size limit of its own.
    expect(conf).toMatch(/client_max_body_size 0;/);
    expect(conf).toMatch(/proxy_request_buffering off;/);
    expect(conf).toMatch(/proxy_buffering off;/);
  });

  it.each(NODES)('runs %s as a scalable worker with its own store', (node) => {
    const worker = service(node);
    expect(dependsOnHealthy(worker, 'rabbitmq')).toBe(true);
    const env = environmentOf(worker);
    const command = commandOf(worker);
    expect(command.includes(`--node ${node}`) || env.get('DFR_NODE_ID') === node).toBe(true);
    expect(command).toContain('npm run worker');

    const storeDir = env.get('DFR_NODE_DIR');
    expect(storeDir).toBeTruthy();
    const volumes = namedVolumesOf(worker);
    expect(volumes.map((v) => v.target)).toContain(storeDir);
    for (const volume of volumes) expect(compose.volumes ?? {}).toHaveProperty([volume.name]);

    // Replicas of a scaled node would collide on a pinned host port or share one advertised URL.
    expect((worker.ports ?? []).filter(pinsHostPort)).toEqual([]);
    expect(env.has('DFR_PUBLIC_URL')).toBe(false);
  });

  it('gives every node a store of its own', () => {
    const stores = NODES.map((node) =>
      namedVolumesOf(service(node))
        .map((v) => v.name)
        .join(','),
    );
    expect(new Set(stores).size).toBe(NODES.length);
  });

  it('points every service that runs our code at RabbitMQ', () => {
    const ours = Object.entries(compose.services).filter(
      ([, s]) => s.build !== undefined || s.image?.startsWith('dfr') === true,
    );
    expect(ours.map(([name]) => name)).toEqual(expect.arrayContaining([...INGESTS, ...NODES]));
    for (const [name, s] of ours) {
      expect(environmentOf(s).get('AMQP_URL'), `${name} sets AMQP_URL`).toMatch(/^amqps?:\/\/\S+$/);
    }
  });

  const cli = composeCli();
  it.skipIf(cli === undefined)(`passes \`${cli?.join(' ') ?? 'docker compose'} config -q\``, () => {
    const [command = '', ...args] = cli ?? [];
    const result = spawnSync(command, [...args, '-f', composePath, 'config', '-q'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.status, result.stderr).toBe(0);
  });
});
