import type { NextFunction, Request, Response } from 'express';
import { AppError, publicMessage, toAppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';

/**
 * Maps what express and body-parser throw about the request itself (size, encoding, a URI
 * escape that does not decode, a body that could not be read) to ours: all are the client's
 * input, so all are 4xx.
 */
export function fromRequestError(error: unknown): AppError | null {
  if (error instanceof AppError) return null;
  const e = error as { type?: unknown; status?: unknown; statusCode?: unknown };
  if (e?.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Body is larger than 64 KB.', 413);
  if (e?.type === 'encoding.unsupported') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Encoding is not accepted: send the body uncompressed (identity).', 415);
  }
  if (error instanceof URIError) return new AppError('BAD_REQUEST', 'The request path has a malformed percent escape.', 400);
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    const what = typeof e.type === 'string' && /^[a-z.]{1,40}$/.test(e.type) ? ` (${e.type})` : '';
    return new AppError('BAD_REQUEST', `The request could not be read${what}.`, 400);
  }
  return null;
}

/**
 * The one error handler of the HTTP door: every error becomes {"error": {code, message}} and
 * answers its own request; the process goes on. No stack trace, SQL text or bound value ever
 * reaches a client (publicMessage). Refused requests are logged with their reason (never the
 * body, never the signature); failures (5xx) with their cause and the request id.
 */
export function errorHandler(logger: Logger, metrics: Metrics, onUnexpected?: (error: unknown) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const appError = fromRequestError(error) ?? toAppError(error);
    const requestId = (req as Request & { id?: string }).id;
    const log = requestId === undefined ? logger : logger.child({ requestId });
    if (appError.httpStatus >= 500) {
      log.error({ err: appError.cause ?? appError, code: appError.code, method: req.method, path: req.path }, appError.code === 'INTERNAL' ? 'unexpected error in a request' : appError.message);
      if (appError.code === 'INTERNAL') onUnexpected?.(appError.cause ?? appError);
    } else {
      metrics.refused.inc({ reason: appError.code });
      log.warn({ code: appError.code, method: req.method, path: req.path }, `request refused: ${appError.message}`);
    }
    if (!res.headersSent) {
      if (appError.code === 'SERVICE_BUSY') res.setHeader('Retry-After', '1');
      res.status(appError.httpStatus).json({ error: { code: appError.code, message: publicMessage(appError) } });
    } else {
      res.destroy();
    }
  };
}
