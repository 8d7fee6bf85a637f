import { Router } from 'express';
import type { Readiness } from '../../../domain/readiness';
import type { Logger } from '../../../lib/logger';
import type { Metrics } from '../../../lib/metrics';

export interface HealthRoutesDeps {
  readiness(): Promise<Readiness>;
  /** Facts found at start (e.g. the CRM schema), shown with /readyz. */
  details?: () => Record<string, unknown>;
  metrics: Metrics;
  poolInUse(): number;
  eventsWaiting(): number;
  logger: Logger;
}

/** Unsigned: /healthz (process up), /readyz (database usable), /metrics (Prometheus). */
export function healthRoutes(deps: HealthRoutesDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const readiness = await deps.readiness();
    // The answer is unsigned: it says what is wrong; the error itself goes to the log only.
    if (!readiness.ready) deps.logger.warn({ requestId: (req as { id?: string }).id, err: readiness.detail, problem: readiness.problem }, 'not ready');
    res.status(readiness.ready ? 200 : 503).json({
      status: readiness.ready ? 'ready' : 'not ready',
      problem: readiness.problem,
      ...(deps.details ? { details: deps.details() } : {}),
    });
  });
  router.get('/metrics', async (_req, res) => {
    deps.metrics.poolInUse.set(deps.poolInUse());
    deps.metrics.eventsWaiting.set(deps.eventsWaiting());
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
