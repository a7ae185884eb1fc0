import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

/** One HTTP answer as a client saw it; `status` 0 means the connection closed without an answer. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Interim answers (`100 Continue`) that came first. */
  informational?: number[];
  /** Request body bytes written before the answer arrived (streamed requests only). */
  sentBeforeAnswer?: number;
  /** Bytes written after the answer arrived, until the connection closed (keepSending only). */
  sentAfterAnswer?: number;
  /** How long after the answer the connection closed (keepSending only). */
  closedAfterAnswerMs?: number;
}

const CLOSED: RawResponse = { status: 0, headers: {}, body: '' };

/**
 * Writes bytes on a fresh TCP connection exactly as given (so malformed requests reach the
 * server unchanged) and reads the first final answer, skipping `100 Continue`.
 */
export function rawRequest(
  port: number,
  chunks: (string | Buffer)[],
  options: { timeoutMs?: number; onSocket?: (socket: Socket) => void } = {},
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const finish = (response: RawResponse) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    const timer = setTimeout(
      () => finish({ ...CLOSED, body: 'client timeout' }),
      options.timeoutMs ?? 10_000,
    );
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      options.onSocket?.(socket);
    });
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      const parsed = parseResponse(received);
      if (parsed) finish(parsed);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(parseResponse(received, true) ?? CLOSED));
  });
}

function parseResponse(bytes: Buffer, closed = false): RawResponse | undefined {
  let rest = bytes;
  const informational: number[] = [];
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const body = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      informational.push(status);
      rest = body;
      continue;
    }
    const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    if (length !== undefined && body.length >= length)
      return { status, headers, body: body.subarray(0, length).toString('utf8'), informational };
    if (closed) return { status, headers, body: body.toString('utf8'), informational };
    return undefined;
  }
}

/**
 * Streams a chunked request body of `totalBytes` (between `head` and `tail`) and stops writing as
 * soon as an answer arrives, reporting how much had been written by then.
 */
export function streamUntilAnswered(
  url: string,
  options: {
    method: string;
    headers?: Record<string, string>;
    totalBytes: number;
    head?: Buffer;
    tail?: Buffer;
  },
): Promise<RawResponse> {
  return new Promise((resolve) => {
    let sent = 0;
    let answered = false;
    const req = request(url, { method: options.method, headers: options.headers }, (res) => {
      answered = true;
      const sentBeforeAnswer = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          body,
          sentBeforeAnswer,
        }),
      );
    });
    req.on('error', () => {
      if (!answered) resolve({ ...CLOSED, sentBeforeAnswer: sent });
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    if (options.head) req.write(options.head);
    const write = () => {
      while (sent < options.totalBytes && !answered) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      if (!answered) req.end(options.tail);
    };
    write();
  });
}

/**
 * Writes `head` on a fresh connection, then `piece` every `intervalMs` (0: as fast as the
 * connection takes them) until the server closes the connection, as a client that ignores the
 * answer would; with `silentMs`, it sends nothing from the answer until silentMs later. Reports
 * the answer and how long the server let it go on: a server that has closed shows when the next
 * piece meets a reset.
 */
export function keepSending(
  port: number,
  head: string,
  options: { piece: Buffer; intervalMs: number; silentMs?: number; timeoutMs?: number },
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let received = Buffer.alloc(0);
    let answer: RawResponse | undefined;
    let answeredAt = 0;
    let sentAfterAnswer = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), options.timeoutMs ?? 20_000);
    const send = () => {
      const { piece } = options;
      if (socket.destroyed) return;
      do {
        if (answer) sentAfterAnswer += piece.length;
      } while (socket.write(piece) && options.intervalMs === 0 && !socket.destroyed);
      if (options.intervalMs === 0) socket.once('drain', send);
      else timer = setTimeout(send, options.intervalMs);
    };
    socket.on('connect', () => {
      socket.write(head);
      if (options.silentMs === undefined) send();
    });
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (answer) return;
      answer = parseResponse(received);
      if (!answer) return;
      answeredAt = performance.now();
      if (options.silentMs !== undefined) timer = setTimeout(send, options.silentMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      const final = answer ?? parseResponse(received, true) ?? CLOSED;
      resolve({
        ...final,
        sentAfterAnswer,
        closedAfterAnswerMs: answer ? performance.now() - answeredAt : undefined,
      });
    });
  });
}
