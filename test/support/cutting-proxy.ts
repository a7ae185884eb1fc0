import { connect, createServer, type Socket } from 'node:net';

export interface CuttingProxy {
  port: number;
  /** How many connections it has cut. */
  cuts(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy to 127.0.0.1:`targetPort` that drops the first connection on which the client has
 * sent more than `cutAfterBytes`, both ways at once, as a network that fails mid-request would;
 * every other connection passes untouched.
 */
export function startCuttingProxy(targetPort: number, cutAfterBytes: number): Promise<CuttingProxy> {
  let cut = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (cut === 0 && sent > cutAfterBytes) {
        cut += 1;
        upstream.write(chunk.subarray(0, chunk.length - (sent - cutAfterBytes)), () => upstream.destroy());
        client.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        cuts: () => cut,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
