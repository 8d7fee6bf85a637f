import { Router } from 'express';
import type { UserLink } from '../../../domain/read-links';
import { AppError } from '../../../lib/errors';
import { SIDECAR_VERSION } from '../../../lib/version';
import { SIGNATURE_SCHEME } from '../signature';
import { domainChoiceFromQuery, type ResolveDomain } from '../request-domain';
import { parseUserId } from '../request-schemas';

export const MAX_IDS_PER_CALL = 500;

export interface LinkRoutesDeps {
  resolveDomain: ResolveDomain;
  readLinks(domainId: number, userIds: number[]): Promise<UserLink[]>;
  /** Each user's link state (link health), for ?with=state. */
  linkStates(domainId: number, userIds: number[]): Promise<Map<number, string>>;
}

/** GET /v1/users/:id/link, GET /v1/links?user_ids=1,2,3[&with=state], GET /v1/ping; each for ?blog_id= or ?domain_id=. */
export function linkRoutes(deps: LinkRoutesDeps): Router {
  const router = Router();

  router.get('/v1/ping', (req, res) => {
    res.json({ ok: true, domain_id: deps.resolveDomain(domainChoiceFromQuery(req.query)), version: SIDECAR_VERSION, signature: SIGNATURE_SCHEME });
  });

  router.get('/v1/users/:id/link', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const userId = parseUserId(req.params.id);
    const [link] = await deps.readLinks(domainId, [userId]);
    if (!link) throw new AppError('NOT_FOUND', `User ${userId} is not linked to a contact in CRM domain ${domainId}.`, 404);
    res.json(link);
  });

  router.get('/v1/links', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const raw = req.query.user_ids;
    if (typeof raw !== 'string' || raw === '') {
      throw new AppError('BAD_REQUEST', 'Query parameter user_ids is required: user_ids=1,2,3.', 400);
    }
    const parts = raw.split(',');
    if (parts.length > MAX_IDS_PER_CALL) {
      throw new AppError('BAD_REQUEST', `At most ${MAX_IDS_PER_CALL} user ids per call.`, 400);
    }
    const ids = [...new Set(parts.map((p) => parseUserId(p.trim(), 'user id in user_ids')))];
    const withState = req.query.with;
    if (withState !== undefined && withState !== 'state') throw new AppError('BAD_REQUEST', 'Query parameter with, when given, must be "state".', 400);
    const links = await deps.readLinks(domainId, ids);
    if (withState === undefined) {
      res.json({ links });
      return;
    }
    const states = await deps.linkStates(domainId, links.map((l) => l.user_id));
    res.json({ links: links.map((l) => ({ ...l, state: states.get(l.user_id) ?? null })) });
  });

  return router;
}
