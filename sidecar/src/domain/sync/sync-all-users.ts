/**
 * syncAllUsers({dryRun}): "Synchronize Users to Contacts" — reconcile every WordPress user, in
 * id order, with the same result as reconciling each of them one after the other. The route
 * behind the wp-admin button, the schedule, the CLI and the resume job all call it.
 *
 * The story:
 *  1. Take the domain's lease (one run per domain; a start while a run is in progress gets
 *     SyncAlreadyRunning with its id).
 *  2. Resume the interrupted run of the same kind, or start a new one (a dry run never resumes
 *     a real run, nor a real run a dry one).
 *  3. Walk the users in chunks (chunk-loop.ts); each commits with the run's cursor, so a killed
 *     run resumes after its last chunk. While the database is away, wait and try again.
 *  4. A dry run reads and plans the same way, and writes nothing but its run record.
 */
import { AppError, isOutage, publicReason } from '../../lib/errors';
import { emptyCarry } from '../engine/link-book';
import type { RunContext } from './chunk';
import { runChunks } from './chunk-loop';
import { DEFAULT_LEASE_SECONDS, RunLease, syncLeaseName } from './sync-lease';
import { abandonDryRun } from './sync-status';
import type { SyncDeps } from './sync-deps';
import { LeaseLost, SyncAlreadyRunning, type SyncRun, type SyncTrigger } from './sync-run';

export type { SyncDeps } from './sync-deps';

export interface SyncProgress {
  runId: number;
  dryRun: boolean;
  processed: number;
  total: number;
  counts: SyncRun['counts'];
}

export interface SyncOptions {
  dryRun: boolean;
  trigger: SyncTrigger;
  /** Called once the run is recorded (the HTTP door answers 202 with its id). */
  onStarted?(runId: number): void;
  /** Called after each committed chunk. */
  onProgress?(progress: SyncProgress): void;
  /** Stops after the current chunk; the run stays `running` and is resumed later. */
  signal?: AbortSignal;
}

export async function syncAllUsers(deps: SyncDeps, options: SyncOptions): Promise<SyncRun> {
  const { db, runs, rules } = deps;
  const lease = await RunLease.take(db, deps.leases, syncLeaseName(rules.domainId), deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS);
  if (!lease) throw new SyncAlreadyRunning(await runningId(deps));
  try {
    let run = await openRun(deps, lease.owner, options);
    const log = deps.logger.child({ syncRunId: run.id, domainId: rules.domainId });
    log.info({ dryRun: run.dryRun, trigger: options.trigger, resumedAt: run.cursor || undefined }, 'sync run started');
    options.onStarted?.(run.id);
    lease.keepRenewed(log);
    const ctx: RunContext = { deps, run, owner: lease.owner, log, conventions: await deps.conventions.get(), carry: emptyCarry(), changes: [], claimAll: false };
    try {
      const stopped = await untilDone(ctx, lease, options);
      run = ctx.run;
      if (stopped) {
        log.info({ cursor: run.cursor }, 'sync run paused; it is resumed later');
        return run;
      }
      deps.metrics?.syncRuns.inc({ status: 'completed', dry_run: String(run.dryRun) });
      log.info({ counts: run.counts }, 'sync run completed');
      return run;
    } catch (error) {
      if (!(error instanceof LeaseLost)) {
        // The run's error is read by the plugin and shown in wp-admin: no driver text (SQL, values).
        await runs.fail(db, run.id, publicReason(error)).catch(() => undefined);
        deps.metrics?.syncRuns.inc({ status: 'failed', dry_run: String(run.dryRun) });
      }
      log.error({ err: error }, 'sync run failed');
      throw error;
    }
  } finally {
    await lease.release();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The chunks, again and again while the database is away; true when stopped by the signal. */
async function untilDone(ctx: RunContext, lease: RunLease, options: SyncOptions): Promise<boolean> {
  const { firstMs, maxMs } = ctx.deps.outage ?? { firstMs: 1_000, maxMs: 30_000 };
  let wait = firstMs;
  for (;;) {
    try {
      return await runChunks(ctx, {
        signal: options.signal,
        leaseLost: () => lease.lost,
        onProgress: (run) => {
          wait = firstMs;
          options.onProgress?.({ runId: run.id, dryRun: run.dryRun, processed: run.processed, total: run.total, counts: run.counts });
        },
      });
    } catch (error) {
      if (!isOutage(error)) throw error;
      ctx.log.warn({ retryInMs: wait, cursor: ctx.run.cursor }, 'database not reachable; the chunk is tried again');
      await sleep(wait, options.signal);
      wait = Math.min(maxMs, wait * 2);
      if (options.signal?.aborted) return true;
      if (lease.lost) throw new LeaseLost();
      // A COMMIT whose answer was lost may have gone through: go on from the recorded cursor.
      const recorded = await ctx.deps.runs.findById(ctx.deps.db, ctx.run.domainId, ctx.run.id).catch(() => null);
      if (recorded) {
        if (recorded.owner !== ctx.owner) throw new LeaseLost();
        ctx.run = { ...recorded, counts: recorded.counts };
        if (recorded.status !== 'running') return false;
      }
    }
  }
}

/**
 * The id of the run in progress. The holder records its run right after taking the lease, so
 * a start that lost the race may look before the row exists: look again for a moment.
 */
async function runningId(deps: SyncDeps): Promise<number | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const running = await deps.runs.findRunning(deps.db, deps.rules.domainId);
    if (running) return running.id;
    await sleep(50);
  }
  return null;
}

/**
 * With the lease held, any run still marked running was interrupted. A real one is resumed by a
 * real start; a dry start is refused while it waits (the resume job finishes it first). A dry
 * run's state between chunks lived in its process: it is marked failed, not resumed.
 */
async function openRun(deps: SyncDeps, owner: string, options: SyncOptions): Promise<SyncRun> {
  const { db, runs, rules, store } = deps;
  const left = await runs.findRunning(db, rules.domainId);
  if (left && !left.dryRun) {
    if (options.dryRun) throw new SyncAlreadyRunning(left.id, ' An interrupted sync is being finished first; start the dry run after it.');
    await runs.takeOver(db, left.id, owner);
    return { ...left, owner };
  }
  if (left) await abandonDryRun(deps, left);
  const total = await store.countUsers(db);
  const id = await runs.create(db, { domainId: rules.domainId, dryRun: options.dryRun, trigger: options.trigger, owner, total });
  const run = await runs.findById(db, rules.domainId, id);
  if (!run) throw new AppError('INTERNAL', `sync run ${id} vanished`);
  return run;
}
