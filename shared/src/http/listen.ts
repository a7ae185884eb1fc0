import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import { answerClientError } from './client-error.ts';
import { serverClassesFor } from './express-server-classes.ts';
import { DEFAULT_LINGER_BUDGET, type LingerBudget, lingerWith } from './lingering-close.ts';

/** Request headers must be complete this long after the connection opened or the last request. */
export const HEADERS_TIMEOUT_MS = 60_000;
/** How often Node checks the headers deadline, so it holds to within this much. */
const CONNECTIONS_CHECK_MS = 5_000;

/**
 * Starts an HTTP server guarded against slow clients: headers must arrive within
 * HEADERS_TIMEOUT_MS, and a connection silent for idleTimeoutMs is closed. Node's whole-request
 * timeout is off because it would cut long uploads; routes that read a body set their own
 * deadline (request-deadline.ts). `Expect: 100-continue` is not answered automatically: a route
 * that wants the body says so (expect-continue.ts), so a refused upload is never sent at all.
 * An answer given while the body still arrives ends the connection with a lingering close
 * within `linger` (lingering-close.ts). Requests and responses start with the app's prototypes
 * (express-server-classes.ts).
 */
export function listen(
  app: Express,
  host: string,
  port: number,
  idleTimeoutMs: number,
  linger: LingerBudget = DEFAULT_LINGER_BUDGET,
): Promise<Server> {
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: 65_000,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
      ...serverClassesFor(app),
    },
    app,
  );
  server.setTimeout(idleTimeoutMs);
  server.on('checkContinue', app);
  server.on('clientError', answerClientError);
  lingerWith(server, linger);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
