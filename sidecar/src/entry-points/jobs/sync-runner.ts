/**
 * Runs syncAllUsers in the background of the sidecar process (the HTTP door answers at once)
 * and stops it cleanly on shutdown: the run stops after its current chunk, stays `running`,
 * and a running sidecar resumes it (resume-watcher.ts).
 */
import { syncAllUsers, type SyncDeps } from '../../domain/sync/sync-all-users';
import type { SyncTrigger } from '../../domain/sync/sync-run';
import type { Logger } from '../../lib/logger';

export interface SyncRunner {
  /** Resolves with the run id once the run is recorded; rejects with SyncAlreadyRunning (409). */
  startInBackground(options: { dryRun: boolean; trigger: SyncTrigger }): Promise<number>;
  /** Runs to the end in this process (the schedule awaits it, so runs never overlap). */
  runToEnd(options: { dryRun: boolean; trigger: SyncTrigger }): Promise<void>;
  stop(): Promise<void>;
}

export function createSyncRunner(deps: SyncDeps, logger: Logger): SyncRunner {
  const controller = new AbortController();
  const inFlight = new Set<Promise<unknown>>();

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  };

  return {
    startInBackground(options) {
      return new Promise<number>((resolve, reject) => {
        let started = false;
        const run = syncAllUsers(deps, {
          ...options,
          signal: controller.signal,
          onStarted: (id) => {
            started = true;
            resolve(id);
          },
        });
        track(run).catch((error) => {
          if (!started) reject(error);
          else logger.error({ err: error }, 'background sync run failed');
        });
      });
    },
    async runToEnd(options) {
      await track(syncAllUsers(deps, { ...options, signal: controller.signal }));
    },
    async stop() {
      controller.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}
