/**
 * Process entry: build the config (a bad value stops here, naming the variable), start,
 * and stop cleanly on SIGTERM/SIGINT — within STOP_BOUND_MS whatever state the process is in
 * (a query that hangs, dead pool connections); a second signal exits at once.
 * `npm start` runs this file; `contact-bridge serve` calls serve().
 */
import { loadConfig } from './config';
import { AppError } from './lib/errors';
import { createLogger } from './lib/logger';
import { start, type Sidecar } from './start';

/** The longest a stop may take before the process exits anyway. */
const STOP_BOUND_MS = 10_000;

/**
 * Runs the sidecar in this process; resolves with the exit code once it has stopped (0 after
 * SIGTERM/SIGINT, 1 when it could not start or a fault outside every request stopped it).
 */
export function serve(): Promise<number> {
  const logger = createLogger(process.env.LOG_LEVEL && /^[a-z]+$/.test(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : 'info');
  let sidecar: Sidecar | undefined;
  let exiting = false;
  let stopped: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => (stopped = resolve));
  const exit = (code: number): void => {
    if (exiting) {
      logger.warn('second signal while stopping: exiting now');
      process.exit(code || 1);
    }
    exiting = true;
    setTimeout(() => {
      logger.error({ boundMs: STOP_BOUND_MS }, 'stopping took too long: exiting now');
      process.exit(1);
    }, STOP_BOUND_MS).unref();
    const done = sidecar ? sidecar.stop() : Promise.resolve();
    done
      .catch((error) => logger.error({ err: error }, 'error while stopping'))
      .finally(() => stopped(code));
  };

  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    exit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    exit(1);
  });

  const started = (async () => {
    try {
      const config = loadConfig();
      sidecar = await start(config, { logger: logger.child({}) });
    } catch (error) {
      const message = error instanceof AppError || error instanceof Error ? error.message : String(error);
      logger.fatal({ code: error instanceof AppError ? error.code : undefined }, message);
      return 1;
    }
    return exitCode;
  })();
  // A signal while starting stops at once, as it would a running sidecar.
  return Promise.race([exitCode, started]);
}

if (require.main === module) void serve().then((code) => process.exit(code));
