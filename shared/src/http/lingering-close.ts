import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a connection keeps reading, and dropping, what a client still sends after an answer
 * that refused its body. Whichever limit is reached first closes the connection; a client that
 * closes its side first ends it cleanly. The numbers and the measurements behind them are in
 * docs/SECURITY.md ("Refused uploads").
 */
export interface LingerBudget {
  /** The longest the connection stays open after the answer. */
  timeMs: number;
  /** It closes once the client has sent nothing for this long. */
  idleMs: number;
  /** It closes once the client has sent more than this after the answer. */
  maxBytes: number;
}

/** As nginx's lingering_time and lingering_timeout, plus room for a browser's whole 100 MiB body. */
export const DEFAULT_LINGER_BUDGET: LingerBudget = {
  timeMs: 30_000,
  idleMs: 5_000,
  maxBytes: 128 * 1024 * 1024,
};

const budgets = new WeakMap<Socket, LingerBudget>();

/** Every connection `server` accepts from now on lingers with `budget` (listen.ts sets it). */
export function lingerWith(server: Server, budget: LingerBudget): void {
  server.on('connection', (socket: Socket) => budgets.set(socket, budget));
}

/**
 * Call before writing the answer to a request whose body has not been read and will not be
 * (a refusal, a deadline, a full disk), whatever the answer's format. When body bytes may still
 * arrive it marks the answer `Connection: close`, fails whoever still reads the body once the
 * answer is out, and ends the connection with lingeringClose instead of closing it at once.
 * Returns false, changing nothing, when the body is complete or there is none.
 */
export function lingerAfterAnswer(req: IncomingMessage, res: ServerResponse, reason: Error): boolean {
  const socket = res.socket;
  if (!socket || socket.destroyed || !bodyPending(req)) return false;
  if (!res.headersSent) res.setHeader('Connection', 'close');
  // Node's HTTP server (20 to 24) ends a `Connection: close` exchange by calling destroySoon()
  // once the answer is written: that is where it would close while the client is still sending.
  socket.destroySoon = () => lingeringClose(socket);
  res.once('finish', () => abandonBody(req, reason));
  return true;
}

/**
 * Ends a connection whose answer has been written while the client may still be sending: sends
 * FIN after the answer, then reads and drops what arrives until the client closes its side or
 * the budget runs out. Closing at once would make the kernel answer the bytes still arriving
 * with a reset, and a client busy sending (fetch, browsers, SDKs) then loses the answer it had
 * not read yet, seeing only EPIPE or ECONNRESET. Works on any socket an answer was written to.
 */
export function lingeringClose(socket: Socket, budget = budgets.get(socket) ?? DEFAULT_LINGER_BUDGET): void {
  if (socket.destroyed) return;
  let received = 0;
  const cutOff = () => socket.destroy();
  const deadline = setTimeout(cutOff, budget.timeMs);
  deadline.unref();
  socket.once('close', () => clearTimeout(deadline));
  socket.setTimeout(budget.idleMs);
  socket.end();
  takeInput(socket, {
    data: (chunk) => {
      received += chunk.length;
      if (received > budget.maxBytes) cutOff();
    },
    // Everything the client sent has been read, so closing sends no reset; wait for the answer
    // to be flushed first.
    end: () => (socket.writableFinished ? socket.destroy() : socket.once('finish', () => socket.destroy())),
    timeout: cutOff,
  });
}

/** True while body bytes may still arrive; a bodiless request counts as complete before Node says so. */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Once the answer is out, Node stops feeding the request and never ends it, so a route still
 * reading the body (an upload's temporary file, multer) would wait forever. Fail the body stream
 * instead; it is first detached from the socket, as Node's own pipeline() does for server
 * requests, so destroying it cannot close the connection that is lingering.
 */
function abandonBody(req: IncomingMessage, reason: Error): void {
  if (req.destroyed) return;
  (req as { socket: unknown }).socket = null;
  req.destroy(reason);
}

interface InputHandlers {
  data(chunk: Buffer): void;
  end(): void;
  timeout(): void;
}

/**
 * Takes the socket's input from the HTTP server, whose parser would otherwise go on parsing the
 * abandoned body (and pause the socket when nobody reads it). A socket the parser paused is
 * resumed first: while the parser reads the socket itself, only its own 'resume' handler starts
 * reading again, and once it lets go a stream that never saw a read would not start by itself.
 */
function takeInput(socket: Socket, handlers: InputHandlers, resumed = false): void {
  if (socket.isPaused() && !resumed) {
    socket.once('resume', () => takeInput(socket, handlers, true));
    socket.resume();
    return;
  }
  for (const event of ['data', 'end', 'timeout'] as const) socket.removeAllListeners(event);
  socket.on('data', handlers.data);
  socket.on('end', handlers.end);
  socket.on('timeout', handlers.timeout);
  socket.resume();
}
