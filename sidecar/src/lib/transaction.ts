import type { Pool, PoolConnection } from 'mysql2/promise';
import { AppError, isDatabaseUnavailable } from './errors';
import type { Logger } from './logger';

/** ER_LOCK_DEADLOCK (also Galera's certification failure), ER_LOCK_WAIT_TIMEOUT, ER_DUP_ENTRY. */
const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;
const DUPLICATE_KEY = 1062;

/** One SQL statement with its bound values (the values are never spliced in by us). */
export interface Statement {
  sql: string;
  values: unknown[];
}

/**
 * Runs statements in one round trip (the pool allows several statements per query; every
 * value is still a bound parameter). Returns each statement's result, in order. The first
 * failing statement stops the batch and its error is thrown.
 */
export async function runStatements(connection: PoolConnection, statements: Statement[]): Promise<unknown[]> {
  if (statements.length === 0) return [];
  const [results] = await connection.query(
    statements.map((s) => s.sql).join(';\n'),
    statements.flatMap((s) => s.values),
  );
  return statements.length === 1 ? [results] : (results as unknown[]);
}

/**
 * Statements of a transaction, sent in as few round trips as the work allows: `run` sends
 * statements whose results are needed now (the first call also begins the transaction);
 * `atCommit` keeps writes whose results nobody reads, to send them together with COMMIT.
 */
export class TransactionBatch {
  private begun = false;
  private readonly deferred: Statement[] = [];

  constructor(readonly connection: PoolConnection) {}

  async run(statements: Statement[]): Promise<unknown[]> {
    if (this.begun) return runStatements(this.connection, statements);
    const results = await runStatements(this.connection, [{ sql: 'START TRANSACTION', values: [] }, ...statements]);
    this.begun = true;
    return results.slice(1);
  }

  atCommit(statement: Statement): void {
    this.deferred.push(statement);
  }

  /** The deferred writes and COMMIT, in one round trip. */
  async commit(): Promise<void> {
    if (!this.begun && this.deferred.length === 0) return;
    const statements = this.begun ? [...this.deferred] : [{ sql: 'START TRANSACTION', values: [] }, ...this.deferred];
    await runStatements(this.connection, [...statements, { sql: 'COMMIT', values: [] }]);
  }
}

/**
 * Like withTransaction, for work written as a TransactionBatch: the transaction begins with the
 * batch's first `run` and ends with its `commit` (deferred writes + COMMIT in one round trip).
 * Same rollback, retry and release rules.
 */
export async function withBatchedTransaction<T>(
  pool: Pool,
  fn: (batch: TransactionBatch) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  return withTransaction(
    pool,
    async (connection) => {
      const batch = new TransactionBatch(connection);
      const result = await fn(batch);
      await batch.commit();
      return result;
    },
    { ...options, begin: false },
  );
}

export interface TransactionOptions {
  /** Attempts in all, for an idempotent operation (deadlock, lock wait timeout, duplicate key). */
  attempts?: number;
  /** Retry on duplicate key too: right when the operation re-reads the state it acts on. */
  retryOnDuplicate?: boolean;
  logger?: Logger;
  /** false: fn begins and commits the transaction itself (withBatchedTransaction). */
  begin?: boolean;
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
      const managed = options.begin ?? true;
      if (managed) await connection.beginTransaction();
      const result = await fn(connection);
      if (managed) await connection.commit();
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
        // The driver's message stays in the cause (logged without SQL or values), never in ours:
        // "Duplicate entry 'x@…'" would carry a user's address to whoever reads the answer.
        throw new AppError('RETRY_EXHAUSTED', `Gave up after ${attempts} attempts (errno ${errno(error)}); try again later.`, 503, error);
      }
      options.logger?.debug({ attempt, errno: errno(error) }, 'transaction conflict, retrying');
      await backoff(attempt);
    } finally {
      connection?.release();
    }
  }
}
