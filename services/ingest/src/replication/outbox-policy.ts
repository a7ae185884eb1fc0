import type { DueCommand } from '../store/metadata-store.ts';

/**
 * When the outbox sends a command again. A command unanswered `republishAfterMs` after it was
 * sent is sent again, then after twice that, and so on up to `republishMaxMs`, so a long
 * backlog (a node down for hours) does not fill its queue with copies of the same command. A
 * replica that failed is asked for again `retryFailedAfterMs` after each try.
 */
export interface OutboxPolicy {
  republishAfterMs: number;
  republishMaxMs: number;
  retryFailedAfterMs: number;
}

/**
 * How long a claimed command stays with the instance that claimed it before another may take
 * it: longer than a publish and its confirm take under load, short enough that a command held
 * by an instance that died goes out again soon.
 */
export const CLAIM_LEASE_MS = 15_000;

/** When a command that was just sent, after `attemptsBefore` earlier sends, is due again. */
export function dueAfterSend(
  policy: OutboxPolicy,
  command: Pick<DueCommand, 'state' | 'attempts'>,
  nowMs: number,
): number {
  if (command.state === 'failed') return nowMs + policy.retryFailedAfterMs;
  const doublings = Math.min(command.attempts, 30);
  return nowMs + Math.min(policy.republishMaxMs, policy.republishAfterMs * 2 ** doublings);
}

/** When a replica a node just gave up on is asked for again. */
export function retryFailedAt(policy: OutboxPolicy, nowMs: number): number {
  return nowMs + policy.retryFailedAfterMs;
}
