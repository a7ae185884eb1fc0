import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * One root logger per process, JSON lines on stdout. Children add `fileId`, `messageId`, ...
 * Secrets never reach a log line: the redact paths cover the headers that carry tokens.
 */
export function createLogger(
  bindings: { service: string; node?: string },
  level = process.env.LOG_LEVEL ?? 'info',
): Logger {
  return pino({
    level,
    base: { ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'headers.authorization', 'token', 'clusterToken', 'apiToken'],
  });
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
