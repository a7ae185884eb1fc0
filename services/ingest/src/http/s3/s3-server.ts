import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Express } from 'express';
import { answerClientError } from '../../../../../shared/src/http/client-error.ts';
import { serverClassesFor } from '../../../../../shared/src/http/express-server-classes.ts';
import { HEADERS_TIMEOUT_MS } from '../../../../../shared/src/http/listen.ts';

/**
 * Listens like the REST port (listen.ts: headers deadline, idle timeout, no whole-request
 * timeout, `Expect: 100-continue` left to the route), over HTTPS when given a certificate.
 */
export function listenS3(
  app: Express,
  host: string,
  port: number,
  idleTimeoutMs: number,
  tls?: { certPath: string; keyPath: string },
): Promise<Server> {
  const options = {
    requestTimeout: 0,
    headersTimeout: HEADERS_TIMEOUT_MS,
    keepAliveTimeout: 65_000,
    ...serverClassesFor(app),
  };
  const server: Server = tls
    ? createTlsServer({ ...options, cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) }, app)
    : createServer(options, app);
  server.setTimeout(idleTimeoutMs);
  server.on('checkContinue', app);
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
