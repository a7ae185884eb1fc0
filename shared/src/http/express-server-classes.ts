import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/**
 * Request and response classes for `http.createServer` whose objects are born with an Express
 * app's prototypes. Express points every request and response at its own prototypes as they
 * enter (`Object.setPrototypeOf` in its init middleware). Done to objects V8 has already shaped,
 * that gives each its own hidden class, and much of what a request allocates then outlives the
 * young generation: measured here on a bare status route, 895 KB promoted per scavenge and
 * 1.5-1.8 ms pauses, against 3 KB and 0.6-0.7 ms when the objects start with the right
 * prototype, which makes Express's call a no-op (expressjs/express#5998).
 */
export function serverClassesFor(app: Pick<Express, 'request' | 'response'>): {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
} {
  // Node's own classes are plain constructor functions, so these can run them on `this`.
  function AppRequest(this: IncomingMessage, socket: Socket): void {
    Reflect.apply(IncomingMessage, this, [socket]);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, options?: object): void {
    Reflect.apply(ServerResponse, this, [req, options]);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof ServerResponse,
  };
}
