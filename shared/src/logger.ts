import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Where secrets could sit in a log object: request headers, a config object, a bare field.
 * Nothing logs them today; these paths keep a future `logger.info({ config })` from leaking one.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'apiToken',
  '*.apiToken',
  'clusterToken',
  '*.clusterToken',
  'secretKey',
  '*.secretKey',
  '*.s3.secretKey',
];

/**
 * One root logger per process, JSON lines on stdout (or `destination`, for tests). Children add
 * `fileId`, `messageId`, ... Secrets never reach a log line: see REDACTED_PATHS.
 */
export function createLogger(
  bindings: { service: string; node?: string },
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: REDACTED_PATHS,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
