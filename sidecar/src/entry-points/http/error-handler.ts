import type { NextFunction, Request, Response } from 'express';
import { AppError, toAppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';

/** Maps body-parser's own errors (size, encoding) to ours. */
function fromParser(error: unknown): AppError | null {
  const e = error as { type?: string; status?: number };
  if (e?.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Body is larger than 64 KB.', 413);
  if (typeof e?.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError('BAD_REQUEST', `Body could not be read (${e.type}).`, 400);
  }
  return null;
}

/**
 * The one error handler of the HTTP door: every error becomes {"error": {code, message}};
 * no stack trace ever reaches a client; refused requests are logged with their reason
 * (never the body, never the signature).
 */
export function errorHandler(logger: Logger, metrics: Metrics, onFatal: (error: unknown) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const appError = fromParser(error) ?? toAppError(error);
    const requestId = (req as Request & { id?: string }).id;
    const log = requestId === undefined ? logger : logger.child({ requestId });
    if (appError.httpStatus >= 500) {
      log.error({ err: appError.cause ?? appError, code: appError.code, path: req.path }, appError.message);
    } else {
      metrics.refused.inc({ reason: appError.code });
      log.warn({ code: appError.code, method: req.method, path: req.path }, `request refused: ${appError.message}`);
    }
    if (!res.headersSent) {
      const message = appError.code === 'INTERNAL' ? 'Internal error.' : appError.message;
      res.status(appError.httpStatus).json({ error: { code: appError.code, message } });
    }
    if (appError.code === 'INTERNAL') onFatal(appError.cause ?? appError);
  };
}
