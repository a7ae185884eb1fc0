import { readdirSync, readFileSync } from 'node:fs';

/**
 * The pid of the RabbitMQ the benchmark talks to, when it runs on this machine as the only
 * Erlang VM (`beam.smp`), so its CPU can be counted with the service's; undefined otherwise
 * (a remote broker, or several local ones and no telling which).
 */
export function localBrokerPid(amqpUrl: string): number | undefined {
  const host = new URL(amqpUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return undefined;
  const beams = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith('/beam.smp');
      } catch {
        return false;
      }
    });
  return beams.length === 1 ? Number(beams[0]) : undefined;
}
