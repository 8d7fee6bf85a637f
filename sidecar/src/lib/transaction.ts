import type { Pool, PoolConnection } from 'mysql2/promise';
import { AppError, isDatabaseUnavailable } from './errors';
import type { Logger } from './logger';

/** ER_LOCK_DEADLOCK (also Galera's certification failure), ER_LOCK_WAIT_TIMEOUT, ER_DUP_ENTRY. */
const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;
const DUPLICATE_KEY = 1062;

export interface TransactionOptions {
  /** Attempts in all, for an idempotent operation (deadlock, lock wait timeout, duplicate key). */
  attempts?: number;
  /** Retry on duplicate key too: right when the operation re-reads the state it acts on. */
  retryOnDuplicate?: boolean;
  logger?: Logger;
}

function errno(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { errno?: unknown }).errno === 'number'
    ? (error as { errno: number }).errno
    : undefined;
}

export function isRetryable(error: unknown, retryOnDuplicate: boolean): boolean {
  const n = errno(error);
  return n === DEADLOCK || n === LOCK_WAIT_TIMEOUT || (retryOnDuplicate && n === DUPLICATE_KEY);
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * begin → fn → commit; on error roll back and rethrow; always release the connection.
 * Runs at READ COMMITTED (the session level of every connection of data-access/pool.ts,
 * the only way pools are made) so every statement sees what other transactions committed
 * (a retry after a duplicate key then finds the row that won). Retries a bounded number
 * of times, then fails with RETRY_EXHAUSTED.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (connection: PoolConnection) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    let connection: PoolConnection | undefined;
    try {
      connection = await pool.getConnection();
      await connection.beginTransaction();
      const result = await fn(connection);
      await connection.commit();
      return result;
    } catch (error) {
      if (connection) {
        try {
          await connection.rollback();
        } catch {
          // the connection is broken; it is destroyed below
          connection.destroy();
          connection = undefined;
        }
      }
      if (isDatabaseUnavailable(error)) {
        throw new AppError('DB_UNAVAILABLE', 'The database is not reachable; try again later.', 503, error);
      }
      if (!isRetryable(error, options.retryOnDuplicate ?? false)) throw error;
      if (attempt >= attempts) {
        throw new AppError(
          'RETRY_EXHAUSTED',
          `Gave up after ${attempts} attempts: ${(error as Error).message}`,
          503,
          error,
        );
      }
      options.logger?.debug({ attempt, errno: errno(error) }, 'transaction conflict, retrying');
      await backoff(attempt);
    } finally {
      connection?.release();
    }
  }
}
