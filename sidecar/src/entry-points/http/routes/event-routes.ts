import { Router, type Request } from 'express';
import type { EventSource, Outcome } from '../../../domain/model';
import type { Metrics } from '../../../lib/metrics';
import type { ResolveDomain } from '../request-domain';
import { parseBody, validateEventBody } from '../request-schemas';

export interface EventRoutesDeps {
  resolveDomain: ResolveDomain;
  /** Reconciles the user in this CRM domain. */
  reconcileUser(domainId: number, userId: number, source: EventSource): Promise<Outcome>;
  /** The configured domains in which the user holds a link (a deletion is carried to each). */
  linkedDomains(userId: number): Promise<number[]>;
  metrics: Metrics;
}

/** Records how long a queued event waited in the WordPress plugin (X-Bridge-Queued-At, unix seconds). */
function observeQueueLag(req: Request, metrics: Metrics): void {
  const queuedAt = req.get('x-bridge-queued-at');
  if (!queuedAt || !/^\d{1,12}$/.test(queuedAt)) return;
  const lag = Date.now() / 1000 - Number(queuedAt);
  if (lag >= 0 && lag < 365 * 86400) metrics.queueLag.observe(lag);
}

/**
 * POST /v1/events: any WordPress event means "reconcile this user now", in the domain the event
 * names. A deletion also reaches every other domain where the user is linked: users are one
 * table for the whole network, so a user deleted from it (wpmu_delete_user) is unlinked
 * everywhere, while one only removed from a site still exists and keeps its links.
 */
export function eventRoutes(deps: EventRoutesDeps): Router {
  const router = Router();
  router.post('/v1/events', async (req, res) => {
    const body = parseBody(req.body as Buffer, validateEventBody);
    const domainId = deps.resolveDomain({ blogId: body.blog_id, domainId: body.domain_id });
    observeQueueLag(req, deps.metrics);
    const outcome = await deps.reconcileUser(domainId, body.user_id, body.event);
    deps.metrics.events.inc({ event: body.event, action: outcome.action });
    const others: Array<{ domain_id: number; action: string }> = [];
    if (body.event === 'deleted_user') {
      for (const other of (await deps.linkedDomains(body.user_id)).filter((d) => d !== domainId)) {
        const elsewhere = await deps.reconcileUser(other, body.user_id, body.event);
        deps.metrics.events.inc({ event: body.event, action: elsewhere.action });
        others.push({ domain_id: other, action: elsewhere.action });
      }
    }
    res.status(200).json({
      action: outcome.action,
      contact_id: outcome.contactId,
      reason: outcome.reason,
      domain_id: domainId,
      ...(others.length > 0 ? { other_domains: others } : {}),
    });
  });
  return router;
}
