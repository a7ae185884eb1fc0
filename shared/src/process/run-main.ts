import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';

const REPEAT_SIGNAL_GRACE_MS = 1_000;

export interface Stoppable {
  stop(): Promise<void>;
}

export interface RunMainOptions {
  /** How long the first signal's drain may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * The life of a service process: start it, and on the first SIGTERM/SIGINT drain it (stop
 * intake, finish in-flight work, close connections) and exit 0; a second signal, or the
 * deadline, exits at once. A configuration error is one line on stderr and exit 1.
 */
export async function runMain(
  logger: () => Logger,
  start: () => Promise<Stoppable>,
  options: RunMainOptions = {},
): Promise<void> {
  let service: Stoppable;
  try {
    service = await start();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      logger().fatal({ err }, 'failed to start');
    }
    process.exit(1);
  }
  let stoppingSinceMs: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSinceMs !== undefined) {
      // A signal sent to the process group reaches us twice when a launcher (npm, tsx) relays it
      // as well; only a deliberate second signal, a moment later, means "exit now".
      if (Date.now() - stoppingSinceMs < REPEAT_SIGNAL_GRACE_MS) return;
      logger().warn({ signal }, 'second signal; exiting now');
      process.exit(0);
    }
    stoppingSinceMs = Date.now();
    logger().info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger().warn('shutdown deadline passed; exiting');
      process.exit(0);
    }, options.shutdownTimeoutMs ?? 15_000);
    deadline.unref();
    service.stop().then(
      () => process.exit(0),
      (err) => {
        logger().error({ err }, 'error while shutting down');
        process.exit(0);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
