import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]'];
const TCP_LISTEN = '0A';

/**
 * The pid of the RabbitMQ the benchmark talks to, when it runs on this machine: the Erlang VM
 * (`beam.smp`) holding the socket that listens on the AMQP URL's port, so its CPU can be counted
 * with the service's even when other brokers run beside it; undefined for a remote broker.
 */
export function localBrokerPid(amqpUrl: string): number | undefined {
  const url = new URL(amqpUrl);
  if (!LOCAL_HOSTS.includes(url.hostname)) return undefined;
  const inodes = listeningInodes(Number(url.port || 5672));
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    if (!isBeam(pid)) continue;
    if (socketInodesOf(pid).some((inode) => inodes.has(inode))) return Number(pid);
  }
  return undefined;
}

/** Inodes of the TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp*. */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readOrEmpty(table).split('\n').slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === TCP_LISTEN && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

function isBeam(pid: string): boolean {
  return readOrEmpty(`/proc/${pid}/cmdline`).split('\0')[0]?.endsWith('/beam.smp') ?? false;
}

function socketInodesOf(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined);
  } catch {
    return [];
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
