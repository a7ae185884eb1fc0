import { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../../shared/src/http/listen.ts';

describe('listen', () => {
  const servers: { close(): void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("creates requests and responses with the app's prototypes, and Express works on them", async () => {
    const app = express();
    app.get('/hello/:name', (req, res) => {
      res
        .status(201)
        .set('x-seen', req.get('x-probe') ?? '')
        .json({ name: req.params.name });
    });
    const server = await listen(app, '127.0.0.1', 0, 10_000);
    servers.push(server);
    const born: boolean[] = [];
    // Runs before Express's own listener, so it sees the objects as Node created them.
    server.prependListener('request', (req, res) => {
      born.push(
        Object.getPrototypeOf(req) === app.request &&
          Object.getPrototypeOf(res) === app.response &&
          req instanceof IncomingMessage &&
          res instanceof ServerResponse,
      );
    });
    const { port } = server.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/hello/world`, { headers: { 'x-probe': 'yes' } });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-seen')).toBe('yes');
    expect(await answer.json()).toEqual({ name: 'world' });
    expect(born).toEqual([true]);
  });
});
