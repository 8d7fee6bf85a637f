import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Errors are logged with their message, code and stack, but never the SQL text or its bound
 * values (mysql2 puts both on the error: emails and names would reach the log).
 */
function serializeError(error: unknown): unknown {
  const plain = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (plain && typeof plain === 'object') {
    delete plain.sql;
    delete plain.values;
    if (plain.cause && typeof plain.cause === 'object') plain.cause = serializeError(plain.cause);
  }
  return plain;
}

/** JSON logs on stdout. Callers bind a request id or a sync-run id with `logger.child(...)`. */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'contact-bridge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing (unit tests, library callers that pass none). */
export const silentLogger: Logger = pino({ level: 'silent' });
