/**
 * Resumes an interrupted bulk run by itself: a run left `running` by a process that died or lost
 * its database is taken up again by a running sidecar within one lease period (whether or not
 * the schedule is on, with no new request). Every replica runs this; the run's lease lets one
 * of them work on it.
 */
import { interruptedRealRun, type StatusDeps } from '../../domain/sync/sync-status';
import { SyncAlreadyRunning } from '../../domain/sync/sync-run';
import type { Logger } from '../../lib/logger';
import type { SyncRunner } from './sync-runner';

export interface ResumeWatcherDeps extends StatusDeps {
  domainIds: readonly number[];
  runnerFor(domainId: number): SyncRunner;
  logger: Logger;
  /** How often to look (a third of the lease by default). */
  everyMs: number;
}

export interface ResumeWatcher {
  /** Looks once (also run at start); resolves when the look (not the run) is done. */
  check(): Promise<void>;
  stop(): void;
}

export function startResumeWatcher(deps: ResumeWatcherDeps): ResumeWatcher {
  const log = deps.logger.child({ job: 'resume-interrupted-sync' });
  let busy = false;
  const check = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const domainId of deps.domainIds) {
        const run = await interruptedRealRun(deps, domainId);
        if (!run) continue;
        log.info({ syncRunId: run.id, domainId, cursor: run.cursor }, 'resuming an interrupted sync run');
        await deps
          .runnerFor(domainId)
          .startInBackground({ dryRun: false, trigger: 'resume' })
          .catch((error: unknown) => {
            if (!(error instanceof SyncAlreadyRunning)) throw error;
          });
      }
    } catch (error) {
      log.warn({ err: error }, 'could not look for interrupted sync runs');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), deps.everyMs);
  timer.unref();
  void check();
  return {
    check,
    stop() {
      clearInterval(timer);
    },
  };
}
