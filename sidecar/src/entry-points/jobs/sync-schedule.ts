/**
 * Scheduled reconciliation (SYNC_CRON): the same syncAllUsers as the route and the CLI.
 * With several replicas on one database, each tick first takes a short lease named after the
 * domain's schedule: the replica that gets it runs, the others skip this tick. The run itself
 * holds the domain's sync lease, so a run never overlaps another (a tick that finds a run in
 * progress skips), and this process never starts a tick while its previous run goes on.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { LeaseStore } from '../../domain/ports';
import { newOwner } from '../../domain/sync/sync-lease';
import { SyncAlreadyRunning } from '../../domain/sync/sync-run';
import type { Logger } from '../../lib/logger';
import type { Database } from '../../lib/transaction';
import type { SyncRunner } from './sync-runner';

export interface SyncScheduleDeps {
  expression: string;
  domainId: number;
  db: Database;
  leases: LeaseStore;
  runner: SyncRunner;
  logger: Logger;
  /** How long a tick's lease keeps the other replicas off that tick. */
  tickLeaseSeconds?: number;
}

export interface SyncSchedule {
  /** Runs one tick now (what the cron calls); resolves when its run ends or it skipped. */
  tick(): Promise<'ran' | 'skipped'>;
  stop(): void;
}

export function startSyncSchedule(deps: SyncScheduleDeps): SyncSchedule | null {
  if (deps.expression === '') return null;
  const owner = newOwner();
  const leaseName = `sync-schedule:domain:${deps.domainId}`;
  const log = deps.logger.child({ job: 'scheduled-sync' });
  let busy = false;

  const tick = async (): Promise<'ran' | 'skipped'> => {
    if (busy) return 'skipped';
    busy = true;
    try {
      // Not released at the end: it keeps the other replicas, whose ticks fire at the same
      // minute, from running the same tick again right after this one.
      if (!(await deps.leases.acquire(deps.db, leaseName, owner, deps.tickLeaseSeconds ?? 30))) return 'skipped';
      await deps.runner.runToEnd({ dryRun: false, trigger: 'cron' });
      return 'ran';
    } catch (error) {
      if (error instanceof SyncAlreadyRunning) {
        log.info({ runningId: error.runningId }, 'a sync run is in progress; this tick skips');
        return 'skipped';
      }
      log.error({ err: error }, 'scheduled sync failed');
      return 'ran';
    } finally {
      busy = false;
    }
  };

  const task: ScheduledTask = cron.schedule(deps.expression, () => {
    void tick();
  });
  log.info({ cron: deps.expression }, 'scheduled sync enabled');
  return {
    tick,
    stop() {
      void task.stop();
    },
  };
}
