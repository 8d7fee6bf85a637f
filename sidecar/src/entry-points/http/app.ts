import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { errorHandler } from './error-handler';
import { requireSignature } from './signature';

export const BODY_LIMIT = '64kb';

export interface AppDeps {
  secret: string;
  logger: Logger;
  metrics: Metrics;
  /** Unsigned routes (/healthz, /readyz, /metrics). */
  publicRoutes: Router[];
  /** Routes under /v1, reached only with a valid signature. */
  signedRoutes: Router[];
  /** Told of every error of unknown kind a request ended with (it was answered 500 and logged; the process goes on). */
  onUnexpected?(error: unknown): void;
}

type IdentifiedRequest = Request & { id: string };

/** Request id (X-Request-Id or a new one; log lines about the request carry it) and the latency histogram. */
function requestContext(logger: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get('x-request-id');
    const id = given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    (req as IdentifiedRequest).id = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? String(req.route.path) : 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ requestId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
      }
    });
    next();
  };
}

function requireJsonOnPost(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'POST' && !req.is('application/json')) {
    next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'POST bodies must be application/json.', 415));
    return;
  }
  next();
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(deps.logger, deps.metrics));
  for (const router of deps.publicRoutes) app.use(router);

  // Signed API: keep the raw bytes (the signature covers them), verify, then route. Bodies are
  // never decompressed (the plugin never compresses): any Content-Encoding but identity is a 415.
  app.use('/v1', express.raw({ type: () => true, limit: BODY_LIMIT, inflate: false }), requireSignature(deps.secret), requireJsonOnPost);
  for (const router of deps.signedRoutes) app.use(router);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new AppError('NOT_FOUND', `No route ${req.method} ${req.path}.`, 404));
  });
  app.use(errorHandler(deps.logger, deps.metrics, deps.onUnexpected));
  return app;
}
