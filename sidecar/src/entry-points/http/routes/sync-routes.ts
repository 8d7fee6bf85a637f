import Ajv from 'ajv';
import { Router } from 'express';
import type { ProblemStore } from '../../../domain/ports';
import type { RunView } from '../../../domain/sync/sync-status';
import { SyncAlreadyRunning } from '../../../domain/sync/sync-run';
import { summaryText } from '../../../domain/summary-text';
import { AppError } from '../../../lib/errors';
import { domainChoiceFromQuery, type ResolveDomain } from '../request-domain';
import { MAX_USER_ID, parseBody, parseRunId } from '../request-schemas';

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true });

export interface SyncBody {
  dry_run?: boolean;
  blog_id?: number;
  domain_id?: number;
}

export const validateSyncBody = ajv.compile<SyncBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    dry_run: { type: 'boolean', default: false },
    blog_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
    domain_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
  },
});

export const RECENT_RUNS = 20;
export const CONFLICTS_LIMIT = 500;

/** Every route acts on one CRM domain, named by the request (see request-domain.ts). */
export interface SyncRoutesDeps {
  resolveDomain: ResolveDomain;
  /** Starts a run of the domain in the background; resolves with its id; rejects with SyncAlreadyRunning. */
  startSync(options: { domainId: number; dryRun: boolean }): Promise<number>;
  findRun(domainId: number, id: number): Promise<RunView | null>;
  recentRuns(domainId: number, limit: number): Promise<RunView[]>;
  problems(domainId: number, limit: number): ReturnType<ProblemStore['listProblems']>;
}

/** The JSON shape of a run (public: the WordPress plugin reads it). */
export function runJson(run: RunView) {
  return {
    id: run.id,
    status: run.status,
    dry_run: run.dryRun,
    processed: run.processed,
    total: run.total,
    counts: run.counts,
    summary: run.status === 'completed' ? summaryText(run.counts, run.dryRun) : null,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt === null ? null : run.finishedAt.toISOString(),
    error: run.error,
    ...(run.dryRun ? { changes: run.changes ?? [] } : {}),
  };
}

/** POST /v1/sync, GET /v1/sync/:id, GET /v1/sync, GET /v1/conflicts. */
export function syncRoutes(deps: SyncRoutesDeps): Router {
  const router = Router();

  router.post('/v1/sync', async (req, res) => {
    const body = parseBody(req.body as Buffer, validateSyncBody);
    const domainId = deps.resolveDomain({ blogId: body.blog_id, domainId: body.domain_id });
    try {
      const id = await deps.startSync({ domainId, dryRun: body.dry_run ?? false });
      res.status(202).json({ id });
    } catch (error) {
      if (!(error instanceof SyncAlreadyRunning)) throw error;
      // Both readers work: {"id"} for the plugin, {"error"} like every other refusal.
      res.status(409).json({ id: error.runningId, error: { code: error.code, message: error.message } });
    }
  });

  router.get('/v1/sync', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    res.json({ runs: (await deps.recentRuns(domainId, RECENT_RUNS)).map(runJson) });
  });

  router.get('/v1/sync/:id', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const run = await deps.findRun(domainId, parseRunId(req.params.id));
    if (!run) throw new AppError('NOT_FOUND', `No sync run ${req.params.id}.`, 404);
    res.json(runJson(run));
  });

  router.get('/v1/conflicts', async (req, res) => {
    const domainId = deps.resolveDomain(domainChoiceFromQuery(req.query));
    const problems = await deps.problems(domainId, CONFLICTS_LIMIT);
    res.json({
      conflicts: problems.map((p) => ({
        user_id: p.ufId,
        action: p.action,
        reason: p.reason,
        contact_id: p.contactId,
        at: p.updatedAt.toISOString(),
      })),
    });
  });

  return router;
}
