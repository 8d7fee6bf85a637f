/**
 * The one error type the sidecar throws on purpose. `code` is stable and machine-readable,
 * `httpStatus` is what a route answers, `cause` keeps the original error for the log.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'DB_UNAVAILABLE'
  | 'SERVICE_BUSY'
  | 'RETRY_EXHAUSTED'
  | 'CONFIG_INVALID'
  | 'SCHEMA_INVALID'
  | 'DB_ERROR'
  | 'INTERNAL';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, httpStatus = 500, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** MySQL/MariaDB error numbers and driver codes that mean "the database is not there". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  'ER_SERVER_LOST',
  'POOL_CLOSED',
]);
// 1047: a Galera node that left the primary component ("WSREP has not yet prepared node for application use").
const UNAVAILABLE_ERRNOS = new Set([1040, 1047, 1053, 2002, 2003, 2006, 2013, 1927]);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; errno?: unknown; fatal?: unknown; message?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.errno === 'number' && UNAVAILABLE_ERRNOS.has(e.errno)) return true;
  if (typeof e.message === 'string' && /Pool is closed|connection is in closed state/i.test(e.message)) return true;
  return e.fatal === true;
}

/** The database is away (a driver error, or our DB_UNAVAILABLE): the work is worth retrying later. */
export function isOutage(error: unknown): boolean {
  return (error instanceof AppError && error.code === 'DB_UNAVAILABLE') || isDatabaseUnavailable(error);
}

/** Normalises anything thrown into an AppError (unknown errors become INTERNAL). */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError('DB_UNAVAILABLE', 'The database is not reachable; try again later.', 503, error);
  }
  const e = error as { errno?: unknown; sqlMessage?: unknown };
  if (typeof e?.errno === 'number' && typeof e.sqlMessage === 'string') {
    // The server refused one statement: this request fails, the process is fine.
    return new AppError('DB_ERROR', 'The database refused the operation.', 500, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('INTERNAL', message, 500, error);
}

/**
 * What a client may be told about an error. Our 4xx messages name the problem in the request;
 * a 5xx answer says only what kind of failure it was: driver and SQL messages carry SQL text,
 * bound values (a user's address in "Duplicate entry"), hosts and user names.
 */
export function publicMessage(error: AppError): string {
  if (error.httpStatus < 500) return error.message;
  switch (error.code) {
    case 'DB_UNAVAILABLE':
      return 'The database is not reachable; try again later.';
    case 'SERVICE_BUSY':
    case 'RETRY_EXHAUSTED':
      return error.message; // ours, without the driver's text (lib/transaction.ts)
    case 'DB_ERROR':
      return 'The database refused the operation.';
    default:
      return 'Internal error.';
  }
}

/** A reason safe to record where clients read it (a run's error, a user's reason): see publicMessage. */
export function publicReason(error: unknown): string {
  const appError = toAppError(error);
  const code = (appError.cause as { code?: unknown } | undefined)?.code;
  const driverCode = appError.code === 'DB_ERROR' && typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? ` (${code})` : '';
  return `${publicMessage(appError)}${driverCode}`;
}
