/**
 * Runs syncAllUsers in the background of the sidecar process (the HTTP door answers at once)
 * and stops it cleanly on shutdown: the run stops after its current chunk, stays `running`,
 * and a running sidecar resumes it (resume-watcher.ts).
 */
import { syncAllUsers, type SyncDeps } from '../../domain/sync/sync-all-users';
import type { SyncTrigger } from '../../domain/sync/sync-run';
import type { Logger } from '../../lib/logger';
import { backgroundRuns } from './background-runs';

export interface SyncRunner {
  /** Resolves with the run id once the run is recorded; rejects with SyncAlreadyRunning (409). */
  startInBackground(options: { dryRun: boolean; trigger: SyncTrigger }): Promise<number>;
  /** Runs to the end in this process (the schedule awaits it, so runs never overlap). */
  runToEnd(options: { dryRun: boolean; trigger: SyncTrigger }): Promise<void>;
  stop(): Promise<void>;
}

export function createSyncRunner(deps: SyncDeps, logger: Logger): SyncRunner {
  const runs = backgroundRuns(logger);
  return {
    startInBackground: (options) => runs.start(({ signal, onStarted }) => syncAllUsers(deps, { ...options, signal, onStarted }), 'sync run'),
    async runToEnd(options) {
      await runs.track((signal) => syncAllUsers(deps, { ...options, signal }));
    },
    stop: () => runs.stop(),
  };
}
