import type { Server } from 'node:http';

/** How often a closing server looks again for connections that went idle. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops a server: no new connections, requests under way may finish, and each keep-alive
 * connection is closed as soon as it is idle. `server.close()` alone closes only the connections
 * idle at the moment it is called; one whose response finishes a moment later would otherwise
 * stay open for the whole keep-alive timeout. After `timeoutMs` every connection is cut.
 */
export function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
