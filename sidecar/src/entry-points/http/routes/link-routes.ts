import { Router } from 'express';
import type { UserLink } from '../../../domain/read-links';
import { AppError } from '../../../lib/errors';
import { parseUserId } from '../request-schemas';

export const MAX_IDS_PER_CALL = 500;

export interface LinkRoutesDeps {
  readLinks(userIds: number[]): Promise<UserLink[]>;
  domainId: number;
}

/** GET /v1/users/:id/link, GET /v1/links?user_ids=1,2,3, GET /v1/ping. */
export function linkRoutes(deps: LinkRoutesDeps): Router {
  const router = Router();

  router.get('/v1/ping', (_req, res) => {
    res.json({ ok: true, domain_id: deps.domainId });
  });

  router.get('/v1/users/:id/link', async (req, res) => {
    const userId = parseUserId(req.params.id);
    const [link] = await deps.readLinks([userId]);
    if (!link) throw new AppError('NOT_FOUND', `User ${userId} is not linked to a contact.`, 404);
    res.json(link);
  });

  router.get('/v1/links', async (req, res) => {
    const raw = req.query.user_ids;
    if (typeof raw !== 'string' || raw === '') {
      throw new AppError('BAD_REQUEST', 'Query parameter user_ids is required: user_ids=1,2,3.', 400);
    }
    const parts = raw.split(',');
    if (parts.length > MAX_IDS_PER_CALL) {
      throw new AppError('BAD_REQUEST', `At most ${MAX_IDS_PER_CALL} user ids per call.`, 400);
    }
    const ids = [...new Set(parts.map((p) => parseUserId(p.trim(), 'user id in user_ids')))];
    res.json({ links: await deps.readLinks(ids) });
  });

  return router;
}
