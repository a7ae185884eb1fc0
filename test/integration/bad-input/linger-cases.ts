import { expect } from 'vitest';
import { DEFAULT_LINGER_BUDGET } from '../../../shared/src/http/lingering-close.ts';
import { keepSending, type RawResponse } from '../../support/raw-http.ts';
import type { BadInputCase } from './harness.ts';
import { CUTOFF_LINGER } from './process-servers.ts';

const MiB = 1024 * 1024;
/** What may be under way between the two kernels when the server stops reading. */
const IN_FLIGHT_BYTES = 48 * MiB;
/** How late a timer may fire on two busy cores. */
const SLACK_MS = 1_500;
const SILENT_MS = 2.5 * CUTOFF_LINGER.idleMs;

/** A PUT without a token that declares far more than it will ever send: refused at once. */
const REFUSED_HEAD =
  'PUT /files/endless.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n';

const closedWithin = (fromMs: number, toMs: number) => (response: RawResponse) => {
  expect(response.closedAfterAnswerMs).toBeGreaterThanOrEqual(fromMs);
  expect(response.closedAfterAnswerMs).toBeLessThan(toMs);
};

/** Cut well before the time budget could have done it, and having sent no more than the budget allows. */
const cutOffByBytes = (maxBytes: number, timeMs: number) => (response: RawResponse) => {
  closedWithin(0, timeMs / 2)(response);
  expect(response.sentAfterAnswer).toBeLessThan(maxBytes + IN_FLIGHT_BYTES);
};

/** Clients that go on after the answer are cut off within the linger budget (lingering-close.ts). */
export const lingerCases: BadInputCase[] = [
  {
    name: 'a client that keeps sending as fast as it can after a 401 is cut off by the byte budget',
    server: 'cutoff',
    send: (t) => keepSending(t.port, REFUSED_HEAD, { piece: Buffer.alloc(64 * 1024, 0x61), intervalMs: 0 }),
    status: 401,
    code: 'UNAUTHORIZED',
    check: cutOffByBytes(CUTOFF_LINGER.maxBytes, CUTOFF_LINGER.timeMs),
  },
  {
    name: 'a client that keeps sending after a 401 is cut off by the default byte budget',
    server: 'edge',
    send: (t) => keepSending(t.port, REFUSED_HEAD, { piece: Buffer.alloc(64 * 1024, 0x61), intervalMs: 0 }),
    status: 401,
    code: 'UNAUTHORIZED',
    check: cutOffByBytes(DEFAULT_LINGER_BUDGET.maxBytes, DEFAULT_LINGER_BUDGET.timeMs),
  },
  {
    name: 'a client that trickles forever after a 401 is cut off by the time budget',
    server: 'cutoff',
    send: (t) => keepSending(t.port, REFUSED_HEAD, { piece: Buffer.alloc(1024, 0x61), intervalMs: 100 }),
    status: 401,
    code: 'UNAUTHORIZED',
    // Neither the idle timeout nor the byte budget may have cut it first.
    check: closedWithin(CUTOFF_LINGER.timeMs - 500, CUTOFF_LINGER.timeMs + SLACK_MS),
  },
  {
    // Silent for 2.5 times the idle timeout, then trickling: had the server not let go by then,
    // the trickle would keep the connection until the time budget.
    name: 'a client that falls silent after a 401 without closing is cut off by the idle timeout',
    server: 'cutoff',
    send: (t) =>
      keepSending(t.port, REFUSED_HEAD, {
        piece: Buffer.alloc(1024, 0x61),
        intervalMs: 100,
        silentMs: SILENT_MS,
      }),
    status: 401,
    code: 'UNAUTHORIZED',
    check: closedWithin(SILENT_MS - 20, CUTOFF_LINGER.timeMs),
  },
];
