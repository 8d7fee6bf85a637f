import Ajv from 'ajv';
import { Router } from 'express';
import { CURSOR_PATTERN, type HealthQuery, type HealthReport, type UserHealth } from '../../../domain/health/check-link-health';
import { FINDING_KINDS, isFindingKind, type Finding, type FindingKind } from '../../../domain/health/findings';
import { RunInProgress } from '../../../domain/health/repair-links';
import type { RepairRun } from '../../../domain/health/repair-run';
import { AppError } from '../../../lib/errors';
import { domainChoiceFromQuery, type ResolveDomain } from '../request-domain';
import { MAX_USER_ID, parseBody, parseRunId, parseUserId } from '../request-schemas';

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true });

export interface RepairBody {
  dry_run?: boolean;
  kinds?: FindingKind[];
  blog_id?: number;
  domain_id?: number;
}

export const validateRepairBody = ajv.compile<RepairBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    dry_run: { type: 'boolean', default: false },
    kinds: { type: 'array', items: { type: 'string', enum: [...FINDING_KINDS] }, minItems: 1, uniqueItems: true },
    blog_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
    domain_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
  },
});

export const MAX_FINDINGS_PER_PAGE = 500;
const DEFAULT_FINDINGS_PER_PAGE = 100;

export interface LinkHealthRoutesDeps {
  resolveDomain: ResolveDomain;
  check(domainId: number, query: HealthQuery): Promise<HealthReport>;
  userHealth(domainId: number, userId: number): Promise<UserHealth>;
  /** Starts a repair in the background; resolves with its id; rejects with RunInProgress. */
  startRepair(options: { domainId: number; dryRun: boolean; kinds?: FindingKind[] }): Promise<number>;
  findRepair(domainId: number, id: number): Promise<RepairRun | null>;
}

function findingJson(f: Finding) {
  return { kind: f.kind, user_id: f.userId, contact_ids: f.contactIds, explanation: f.explanation, repair: f.repair?.text ?? null };
}

/** The JSON shape of a repair run (public: the WordPress plugin reads it). */
export function repairJson(run: RepairRun) {
  return {
    id: run.id,
    status: run.status,
    dry_run: run.dryRun,
    kinds: run.kinds,
    progress: { processed: run.processed, total: run.total },
    counts: run.counts,
    changes: run.dryRun ? run.changes.map((c) => ({ kind: c.kind, user_id: c.userId, contact_ids: c.contactIds, change: c.change })) : [],
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt === null ? null : run.finishedAt.toISOString(),
    error: run.error,
  };
}

function oneString(raw: unknown, name: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new AppError('BAD_REQUEST', `Query parameter ${name} must be given once.`, 400);
  return raw;
}

function parseHealthQuery(query: Record<string, unknown>): HealthQuery {
  const kind = oneString(query.kind, 'kind');
  if (kind !== undefined && !isFindingKind(kind)) throw new AppError('BAD_REQUEST', `Unknown kind ${JSON.stringify(kind.slice(0, 40))}: one of ${FINDING_KINDS.join(', ')}.`, 400);
  const after = oneString(query.after, 'after');
  if (after !== undefined && !CURSOR_PATTERN.test(after)) throw new AppError('BAD_REQUEST', 'Invalid after: pass the "next" of the previous page.', 400);
  const limitText = oneString(query.limit, 'limit');
  if (limitText !== undefined && (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_FINDINGS_PER_PAGE)) {
    throw new AppError('BAD_REQUEST', `Invalid limit: an integer from 1 to ${MAX_FINDINGS_PER_PAGE}.`, 400);
  }
  return { kind, after, limit: limitText === undefined ? DEFAULT_FINDINGS_PER_PAGE : Number(limitText) };
}

/** GET /v1/health, GET /v1/users/:id/health, POST /v1/repair, GET /v1/repair/:id. */
export function linkHealthRoutes(deps: LinkHealthRoutesDeps): Router {
  const router = Router();

  router.get('/v1/health', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const report = await deps.check(domainId, parseHealthQuery(req.query));
    res.json({ domain_id: report.domainId, checked_at: report.checkedAt.toISOString(), counts: report.counts, findings: report.findings.map(findingJson), next: report.next });
  });

  router.get('/v1/users/:id/health', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const health = await deps.userHealth(domainId, parseUserId(req.params.id));
    res.json({ user_id: health.userId, domain_id: health.domainId, contact_id: health.contactId, state: health.state, findings: health.findings.map(findingJson) });
  });

  router.post('/v1/repair', async (req, res) => {
    const body = parseBody(req.body as Buffer, validateRepairBody);
    const domainId = deps.resolveDomain({ blogId: body.blog_id, domainId: body.domain_id });
    try {
      const id = await deps.startRepair({ domainId, dryRun: body.dry_run ?? false, kinds: body.kinds });
      res.status(202).json({ id });
    } catch (error) {
      if (!(error instanceof RunInProgress)) throw error;
      res.status(409).json({ id: error.runningId, error: { code: error.code, message: error.message } });
    }
  });

  router.get('/v1/repair/:id', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const run = await deps.findRepair(domainId, parseRunId(req.params.id));
    if (!run) throw new AppError('NOT_FOUND', `No repair run ${req.params.id}.`, 404);
    res.json(repairJson(run));
  });

  return router;
}
