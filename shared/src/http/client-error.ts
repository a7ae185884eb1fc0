import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from '../errors.ts';
import { lingeringClose } from './lingering-close.ts';

/**
 * Answers what Node's HTTP parser refuses before any handler runs (a malformed request line,
 * headers over the size limit, headers that took longer than headersTimeout) with the same JSON
 * error body as every other error, instead of Node's bare status line. The client may still be
 * sending (the rest of its headers, a body), so the connection ends with a lingering close.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const inResponse = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    ?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  const error = classify(err.code);
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  socket.write(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  lingeringClose(socket);
}

function classify(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW')
    return new AppError('HEADERS_TOO_LARGE', 'request headers are too large');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new AppError('REQUEST_TIMEOUT', 'the request headers did not arrive in time');
  return new AppError('BAD_REQUEST', 'malformed HTTP request');
}
