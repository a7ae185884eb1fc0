import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = '/usr/lib/rabbitmq/bin';

/**
 * A RabbitMQ node of the test's own, which the test may stop, restart and cut off without
 * touching the machine's shared broker (recipe in the team's RECIPES.md).
 */
export interface PrivateRabbit {
  url: string;
  /** Stops the RabbitMQ application; the Erlang node stays up, queues stay on disk. */
  stopApp(): Promise<void>;
  startApp(): Promise<void>;
  /** Drops every client connection from the server side. */
  closeAllConnections(): Promise<void>;
  destroy(): Promise<void>;
}

/** True when this machine can run a private RabbitMQ node (the server binaries are installed). */
export async function canRunPrivateRabbit(): Promise<boolean> {
  try {
    await run(`${BIN}/rabbitmqctl`, ['version'], {
      cwd: tmpdir(),
      timeout: 30_000,
      env: { ...process.env, HOME: tmpdir() },
    });
    return true;
  } catch {
    return false;
  }
}

export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const dir = await mkdtemp(join(tmpdir(), 'dfr-rabbit-'));
  const nodeName = `dfr${randomBytes(4).toString('hex')}@localhost`;
  const port = await freePort();
  const distPort = await freePort();
  await writeFile(join(dir, 'plugins'), '');
  await writeFile(join(dir, 'rabbitmq.conf'), '');
  await mkdir(join(dir, 'log'), { recursive: true });
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
  };
  const server = spawn(`${BIN}/rabbitmq-server`, [], { cwd: dir, env, stdio: 'ignore', detached: true });
  const ctl = async (...args: string[]) => {
    await run(`${BIN}/rabbitmqctl`, ['-n', nodeName, ...args], { cwd: dir, env, timeout: 120_000 });
  };
  try {
    // await_startup fails at once while the node has not registered with epmd yet: retry.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await ctl('await_startup');
        break;
      } catch (err) {
        if (server.exitCode !== null || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } catch (err) {
    server.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stopApp: () => ctl('stop_app'),
    startApp: async () => {
      await ctl('start_app');
      await ctl('await_startup');
    },
    closeAllConnections: () => ctl('close_all_connections', 'test'),
    destroy: async () => {
      await ctl('stop').catch(() => undefined);
      if (server.pid !== undefined) {
        try {
          process.kill(-server.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
