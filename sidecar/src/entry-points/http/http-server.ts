/**
 * The HTTP server with its limits set explicitly: how long a client may take to send headers
 * and a whole request, how long an idle connection stays, how many connections are open at
 * once. What the HTTP parser refuses (a malformed request line or header, conflicting
 * Content-Length / Transfer-Encoding, headers too large, a request too slow) is answered on
 * the socket with the JSON error shape and the connection is closed; the process goes on.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';

export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** How often node checks the headers and request timeouts of open connections. */
const TIMEOUT_CHECK_MS = 1_000;

function clientErrorAnswer(error: NodeJS.ErrnoException): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'BAD_REQUEST', message: 'Request headers are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'BAD_REQUEST', message: 'The request took too long to arrive.' };
    default:
      return { status: 400, code: 'BAD_REQUEST', message: 'The request is not valid HTTP/1.1.' };
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

export function createHttpServer(app: Express, limits: ServerLimits, logger: Logger, metrics: Metrics): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    app,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answer = clientErrorAnswer(error);
    metrics.refused.inc({ reason: answer.status === 408 ? 'TIMEOUT' : 'BAD_HTTP' });
    logger.debug({ code: error.code, status: answer.status }, 'connection refused by the HTTP parser');
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (error.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
    socket.end(
      `HTTP/1.1 ${answer.status} ${REASONS[answer.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // After listening, a server error (EMFILE on accept, …) is the environment's, not a request's: logged, never fatal.
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  server.on('drop', () => metrics.refused.inc({ reason: 'MAX_CONNECTIONS' }));
  return server;
}
