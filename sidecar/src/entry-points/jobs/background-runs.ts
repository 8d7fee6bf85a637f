/**
 * Long runs started by a request (a bulk sync, a link repair): the request gets the run's id as
 * soon as it is recorded, the run goes on in the background, and stop() aborts and awaits every
 * run still going.
 */
import type { Logger } from '../../lib/logger';

export type StartableRun = (hooks: { signal: AbortSignal; onStarted(id: number): void }) => Promise<unknown>;

export interface BackgroundRuns {
  /** Resolves with the run's id once recorded; rejects with the run's error if it failed before that. */
  start(run: StartableRun, what: string): Promise<number>;
  /** Runs to the end, tracked (stop() waits for it too). */
  track<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export function backgroundRuns(logger: Logger): BackgroundRuns {
  const controller = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  };
  return {
    start(run, what) {
      return new Promise<number>((resolve, reject) => {
        let started = false;
        const onStarted = (id: number) => {
          started = true;
          resolve(id);
        };
        track(run({ signal: controller.signal, onStarted })).catch((error) => {
          if (!started) reject(error);
          else logger.error({ err: error }, `background ${what} failed`);
        });
      });
    },
    track: (run) => track(run(controller.signal)),
    async stop() {
      controller.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}
