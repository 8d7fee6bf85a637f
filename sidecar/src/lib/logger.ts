import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout. Callers bind a request id or a sync-run id with `logger.child(...)`. */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    base: { service: 'contact-bridge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that writes nothing (unit tests, library callers that pass none). */
export const silentLogger: Logger = pino({ level: 'silent' });
