/**
 * repairLinks({dryRun, kinds}): applies the safe repairs of the link health check, range by
 * range, and records the run like a sync run (counts per kind: found, repaired, left; progress;
 * a dry run's changes). Users are repaired through the engine (reconcileUsers): what a repair
 * writes is what the rules say, under the same per-user locks as every hook. Links are removed
 * only under lock, re-read; contacts are never merged, deleted or changed by a link removal.
 * The domain's lease is the bulk sync's: a repair and a sync never run at once in a domain.
 * A run the process could not finish (shut down, died) is not resumed: it reads "failed", and
 * a new run picks up what is left (repairing twice changes nothing the second time).
 */
import { AppError, publicReason } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Action } from '../model';
import type { LeaseStore, RepairRunStore, SyncRunStore } from '../ports';
import { reconcileUsers, type EngineDeps } from '../reconcile-users';
import { leaseIsHeld, RunLease, syncLeaseName } from '../sync/sync-lease';
import { scanFindings, type HealthDeps } from './check-link-health';
import { FINDING_KINDS, type Finding, type FindingKind } from './findings';
import { emptyRepairCounts, MAX_RECORDED_CHANGES, type RepairChange, type RepairRun } from './repair-run';

export interface RepairDeps extends HealthDeps {
  engine: EngineDeps;
  repairs: RepairRunStore;
  syncRuns: Pick<SyncRunStore, 'findRunning'>;
  leases: LeaseStore;
  leaseSeconds: number;
  countUsers(): Promise<number>;
  logger: Logger;
}

export interface RepairOptions {
  dryRun: boolean;
  /** The kinds to repair (default: all). */
  kinds?: readonly FindingKind[];
  onStarted?(runId: number): void;
  /** Stops after the current range; the run is recorded as failed ("stopped"). */
  signal?: AbortSignal;
}

/** A repair refused because a sync or a repair is in progress in the domain (HTTP 409 with its id). */
export class RunInProgress extends AppError {
  constructor(readonly runningId: number | null) {
    super('CONFLICT', `A sync or a repair is already in progress in this domain${runningId === null ? '' : ` (run ${runningId})`}.`, 409);
  }
}

/** Outcomes that mean the engine changed what the finding was about. */
const REPAIRING: ReadonlySet<Action> = new Set<Action>(['matched', 'created', 'updated', 'unlinked']);
/** Users reconciled per transaction. */
const BATCH = 100;

async function applyRange(deps: RepairDeps, findings: readonly Finding[]): Promise<Map<Finding, boolean>> {
  const { rules } = deps;
  const done = new Map<Finding, boolean>();
  const reconcile: Finding[] = [];
  for (const f of findings) {
    const action = f.repair!.action;
    if (action.type === 'keep_oldest_link') {
      await deps.health.removeAllButOldestLink(deps.db, rules.domainId, f.userId!);
      done.set(f, true);
    } else {
      if (action.type === 'relink') await deps.health.removeBrokenLinks(deps.db, rules.domainId, f.userId!, action.trashed);
      reconcile.push(f);
    }
  }
  const users = [...new Set(reconcile.map((f) => f.userId!))];
  const outcomes = new Map<number, Action>();
  for (let i = 0; i < users.length; i += BATCH) {
    const part = users.slice(i, i + BATCH);
    for (const o of await reconcileUsers(deps.engine, part.map((userId) => ({ userId, source: 'repair' as const })))) outcomes.set(o.userId, o.action);
  }
  for (const f of reconcile) done.set(f, REPAIRING.has(outcomes.get(f.userId!)!));
  return done;
}

export async function repairLinks(deps: RepairDeps, options: RepairOptions): Promise<RepairRun> {
  const { db, rules } = deps;
  const kinds = new Set(options.kinds ?? FINDING_KINDS);
  const lease = await RunLease.take(db, deps.leases, syncLeaseName(rules.domainId), deps.leaseSeconds);
  if (!lease) {
    const running = (await deps.repairs.findRunning(db, rules.domainId)) ?? (await deps.syncRuns.findRunning(db, rules.domainId));
    throw new RunInProgress(running?.id ?? null);
  }
  let runId: number | null = null;
  const counts = emptyRepairCounts();
  try {
    const total = await deps.countUsers();
    runId = await deps.repairs.create(db, { domainId: rules.domainId, dryRun: options.dryRun, kinds: [...kinds], owner: lease.owner, total });
    const log = deps.logger.child({ repairRunId: runId, domainId: rules.domainId });
    log.info({ dryRun: options.dryRun, kinds: [...kinds] }, 'link repair started');
    options.onStarted?.(runId);
    lease.keepRenewed(log);
    const changes: RepairChange[] = [];
    for await (const step of scanFindings(deps, { signal: options.signal, readAhead: 1 })) {
      const chosen: Finding[] = [];
      for (const f of step.findings) {
        counts[f.kind].found += 1;
        // An address for WordPress is applied by the plugin (GET /v1/changes), not by a repair.
        if (!kinds.has(f.kind) || f.repair === null || f.repair.action.type === 'to_wordpress') counts[f.kind].left += 1;
        else if (options.dryRun) {
          counts[f.kind].repaired += 1;
          if (changes.length < MAX_RECORDED_CHANGES) changes.push({ kind: f.kind, userId: f.userId, contactIds: f.contactIds, change: f.repair.text });
        } else chosen.push(f);
      }
      if (chosen.length > 0) {
        for (const [f, repaired] of await applyRange(deps, chosen)) counts[f.kind][repaired ? 'repaired' : 'left'] += 1;
      }
      if (lease.lost) throw new AppError('CONFLICT', 'The domain lease was taken over by another process; the repair stops.', 409);
      await deps.repairs.progress(db, runId, Math.min(step.users, total), counts);
    }
    if (options.signal?.aborted) throw new AppError('SERVICE_BUSY', 'stopped: the sidecar shut down before the repair finished; run it again', 503);
    await deps.repairs.finish(db, runId, { status: 'completed', counts, changes, error: null });
    await deps.repairs.progress(db, runId, total, counts);
    log.info({ counts }, 'link repair completed');
    return (await deps.repairs.findById(db, rules.domainId, runId))!;
  } catch (error) {
    if (runId !== null) {
      deps.logger.error({ err: error, repairRunId: runId }, 'link repair failed');
      await deps.repairs.finish(db, runId, { status: 'failed', counts, changes: [], error: publicReason(error) }).catch(() => undefined);
    }
    throw error;
  } finally {
    await lease.release();
  }
}

/** A repair run as reported: one still marked running whose owner holds no lease reads "failed". */
export async function repairStatus(deps: Pick<RepairDeps, 'db' | 'repairs' | 'leases'>, domainId: number, id: number): Promise<RepairRun | null> {
  // The lease first: a repair records its end, then releases it (see syncRunStatus).
  const holder = await leaseIsHeld(deps.db, deps.leases, syncLeaseName(domainId));
  const run = await deps.repairs.findById(deps.db, domainId, id);
  if (run === null || run.status !== 'running') return run;
  return holder?.owner === run.owner ? run : { ...run, status: 'failed', error: run.error ?? 'interrupted: the process running it stopped; run the repair again' };
}
