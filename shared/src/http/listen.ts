import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * Starts an HTTP server. Node's default 5-minute requestTimeout would cut long uploads, so it is
 * off; instead a connection idle for idleTimeoutMs is closed, and headers must arrive in 60 s.
 */
export function listen(
  handler: RequestListener,
  host: string,
  port: number,
  idleTimeoutMs: number,
): Promise<Server> {
  const server = createServer(
    { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 },
    handler,
  );
  server.setTimeout(idleTimeoutMs);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
