import { Router, type Request } from 'express';
import type { EventSource, Outcome } from '../../../domain/model';
import type { Metrics } from '../../../lib/metrics';
import { parseBody, validateEventBody } from '../request-schemas';

export interface EventRoutesDeps {
  /** Reconciles the user in the CRM domain of `blogId` (multisite) or the default domain. */
  reconcileUser(userId: number, source: EventSource, blogId?: number): Promise<Outcome>;
  metrics: Metrics;
}

/** Records how long a queued event waited in the WordPress plugin (X-Bridge-Queued-At, unix seconds). */
function observeQueueLag(req: Request, metrics: Metrics): void {
  const queuedAt = req.get('x-bridge-queued-at');
  if (!queuedAt || !/^\d{1,12}$/.test(queuedAt)) return;
  const lag = Date.now() / 1000 - Number(queuedAt);
  if (lag >= 0 && lag < 365 * 86400) metrics.queueLag.observe(lag);
}

/** POST /v1/events: any WordPress event means "reconcile this user now". */
export function eventRoutes(deps: EventRoutesDeps): Router {
  const router = Router();
  router.post('/v1/events', async (req, res) => {
    const body = parseBody(req.body as Buffer, validateEventBody);
    observeQueueLag(req, deps.metrics);
    const outcome = await deps.reconcileUser(body.user_id, body.event, body.blog_id);
    deps.metrics.events.inc({ event: body.event, action: outcome.action });
    res.status(200).json({ action: outcome.action, contact_id: outcome.contactId, reason: outcome.reason });
  });
  return router;
}
