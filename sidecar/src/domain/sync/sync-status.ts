/**
 * What a sync run looks like from outside, and the job that resumes an interrupted one: a run
 * marked running that nobody alive owns is "interrupted" (never reported as running), and a
 * running sidecar resumes it within one lease period, with no new request.
 */
import type { Database } from '../../lib/transaction';
import type { LeaseStore, ProblemStore, SyncRunStore } from '../ports';
import { leaseIsHeld, syncLeaseName } from './sync-lease';
import type { SyncRun } from './sync-run';

export type RunView = Omit<SyncRun, 'status'> & { status: SyncRun['status'] | 'interrupted' };

export interface StatusDeps {
  db: Database;
  runs: SyncRunStore;
  leases: LeaseStore;
}

/**
 * The domain's lease holder, read BEFORE the runs: a run records its end, then releases the lease,
 * so a run read after the lease and still marked running by an owner that held no lease is truly
 * ownerless (read the other way round, a run ending in between looked interrupted).
 */
function leaseHolder(deps: StatusDeps, domainId: number): Promise<{ owner: string } | null> {
  return leaseIsHeld(deps.db, deps.leases, syncLeaseName(domainId));
}

function view(run: SyncRun, holder: { owner: string } | null): RunView {
  if (run.status !== 'running') return run;
  return holder !== null && holder.owner === run.owner ? run : { ...run, status: 'interrupted' };
}

export async function syncRunStatus(deps: StatusDeps, domainId: number, id: number): Promise<RunView | null> {
  const holder = await leaseHolder(deps, domainId);
  const run = await deps.runs.findById(deps.db, domainId, id);
  return run && view(run, holder);
}

export async function recentSyncRuns(deps: StatusDeps, domainId: number, limit: number): Promise<RunView[]> {
  const holder = await leaseHolder(deps, domainId);
  return (await deps.runs.listRecent(deps.db, domainId, limit)).map((run) => view(run, holder));
}

/** An interrupted dry run is over: its state between chunks lived in its process, so it is not resumed. */
export function abandonDryRun(deps: Pick<StatusDeps, 'db' | 'runs'>, run: SyncRun): Promise<void> {
  return deps.runs.fail(deps.db, run.id, 'interrupted (a dry run is not resumed; start it again)');
}

/**
 * The domain's interrupted run, settled: a dry one is abandoned, a real one is returned for the
 * caller to resume. Null when there is none.
 */
export async function interruptedRealRun(deps: StatusDeps, domainId: number): Promise<SyncRun | null> {
  const run = await deps.runs.findRunning(deps.db, domainId);
  if (!run || (await leaseIsHeld(deps.db, deps.leases, syncLeaseName(domainId))) !== null) return null;
  if (run.dryRun) {
    await abandonDryRun(deps, run);
    return null;
  }
  return run;
}

export function listConflicts(deps: { db: Database; problems: ProblemStore }, domainId: number, limit: number) {
  return deps.problems.listProblems(deps.db, domainId, limit);
}
