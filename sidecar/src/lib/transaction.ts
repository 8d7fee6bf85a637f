/**
 * The database as the rest of the sidecar sees it: statements (SQL built in data-access, values
 * always bound), run in as few round trips as possible, inside transactions with one retry
 * policy. The domain uses these types and never the driver.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { AppError, isDatabaseUnavailable } from './errors';
import type { Logger } from './logger';

/** ER_LOCK_DEADLOCK (also Galera's certification failure), ER_LOCK_WAIT_TIMEOUT, ER_DUP_ENTRY. */
const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;
const DUPLICATE_KEY = 1062;
/** ER_NO_REFERENCED_ROW_2: a foreign key's row is not there. */
const NO_REFERENCED_ROW = 1452;

/** One SQL statement with its bound values (the values are never spliced in by us). */
export interface Statement {
  sql: string;
  values: unknown[];
}

/** A statement and how to read its result (data-access builds both; callers get plain objects). */
export interface Query<T> {
  statement: Statement;
  parse(result: unknown): T;
}

type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] };
type Queries<T extends readonly unknown[]> = { readonly [K in keyof T]: Query<T[K]> };

/** Anything statements can be sent to: the database (autocommit) or an open transaction. */
export interface Runner {
  /** Sends the statements in order, in as few round trips as their size allows; their results in order. */
  run(statements: readonly Statement[]): Promise<unknown[]>;
  /** run() for queries, each result parsed. */
  read<T extends readonly unknown[]>(...queries: Queries<T>): Promise<Results<T>>;
}

/** A transaction: begun with its first round trip; atCommit statements travel with COMMIT. */
export interface Tx extends Runner {
  atCommit(...statements: Statement[]): void;
}

/** A transaction on a connection of its own, ended by the caller (the bulk sync's pipelined chunks). */
export interface OpenTransaction {
  readonly tx: Tx;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface TransactionOptions {
  /** Attempts in all, for an idempotent operation (deadlock, lock wait timeout, and with `rereads` the constraints below). */
  attempts?: number;
  /**
   * The operation re-reads the state it acts on, so a constraint that another writer's change
   * broke is worth a retry too: a duplicate key (another transaction took the unique value), or
   * a referenced row that is not there (a contact deleted meanwhile; on Galera, a transaction
   * aborted by a replicated write set mid-batch can report its own rolled-back contact's row as
   * missing, 1452, instead of a deadlock).
   */
  rereads?: boolean;
  logger?: Logger;
}

export interface Database extends Runner {
  transaction<T>(fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  open(): Promise<OpenTransaction>;
  /** Connections checked out of the pool now (a metric). */
  inUse(): number;
  end(): Promise<void>;
}

/**
 * The bound values of rows, in order: `row` gives each row's values. (Array.prototype.flatMap
 * is several times slower for the tens of thousands of values of a bulk chunk's statements.)
 */
export function rowValues<T>(rows: readonly T[], row: (r: T) => readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const r of rows) {
    const values = row(r);
    for (let i = 0; i < values.length; i++) out.push(values[i]);
  }
  return out;
}

/** Statements sent in one round trip: bounded so that no packet nears max_allowed_packet (16 MB by default). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

function sizeOf(statement: Statement): number {
  let n = statement.sql.length + 2;
  for (const v of statement.values) n += typeof v === 'string' ? v.length * 2 + 4 : Array.isArray(v) ? v.length * 24 : 24;
  return n;
}

async function send(connection: Pool | PoolConnection, statements: readonly Statement[]): Promise<unknown[]> {
  if (statements.length === 1) return [(await connection.query(statements[0].sql, statements[0].values))[0]];
  const out: unknown[] = [];
  const sizes = statements.map(sizeOf);
  for (let i = 0; i < statements.length; ) {
    let bytes = sizes[i];
    let j = i + 1;
    while (j < statements.length && bytes + sizes[j] <= MAX_BATCH_BYTES) bytes += sizes[j++];
    const part = statements.slice(i, j);
    const [results] = await connection.query(part.map((s) => s.sql).join(';\n'), part.length === 1 ? part[0].values : ([] as unknown[]).concat(...part.map((s) => s.values)));
    if (part.length === 1) out.push(results);
    else out.push(...(results as unknown[]));
    i = j;
  }
  return out;
}

function readWith<T extends readonly unknown[]>(runner: Runner, queries: Queries<T>): Promise<Results<T>> {
  return runner.run(queries.map((q) => q.statement)).then((results) => queries.map((q, i) => q.parse(results[i])) as unknown as Results<T>);
}

const BEGIN: Statement = { sql: 'START TRANSACTION', values: [] };
const COMMIT: Statement = { sql: 'COMMIT', values: [] };

class ConnectionTx implements Tx {
  private begun = false;
  private deferred: Statement[] = [];

  constructor(private readonly connection: PoolConnection) {}

  async run(statements: readonly Statement[]): Promise<unknown[]> {
    if (statements.length === 0) return [];
    if (this.begun) return send(this.connection, statements);
    const results = await send(this.connection, [BEGIN, ...statements]);
    this.begun = true;
    return results.slice(1);
  }

  read<T extends readonly unknown[]>(...queries: Queries<T>): Promise<Results<T>> {
    return readWith(this, queries);
  }

  atCommit(...statements: Statement[]): void {
    this.deferred.push(...statements);
  }

  /** The deferred writes and COMMIT, in one round trip. */
  async commit(): Promise<void> {
    const statements = [...(this.begun ? [] : [BEGIN]), ...this.deferred, COMMIT];
    this.deferred = [];
    if (!this.begun && statements.length === 2) return;
    await send(this.connection, statements);
  }
}

function errno(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { errno?: unknown }).errno === 'number'
    ? (error as { errno: number }).errno
    : undefined;
}

export function isDuplicateKey(error: unknown): boolean {
  return errno(error) === DUPLICATE_KEY;
}

export function isRetryable(error: unknown, rereads: boolean): boolean {
  const n = errno(error);
  return n === DEADLOCK || n === LOCK_WAIT_TIMEOUT || (rereads && (n === DUPLICATE_KEY || n === NO_REFERENCED_ROW));
}

/** The pause before retry `attempt` + 1: jittered, doubling, at most 200 ms (transactions here, the lease rows in data-access/leases.ts). */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function unavailable(cause: unknown): AppError {
  return new AppError('DB_UNAVAILABLE', 'The database is not reachable; try again later.', 503, cause);
}

async function release(connection: PoolConnection, ok: boolean): Promise<void> {
  if (!ok) {
    try {
      await connection.query('ROLLBACK');
    } catch {
      connection.destroy(); // broken: never back into the pool
      return;
    }
  }
  connection.release();
}

/**
 * The Database of a pool. Transactions run at READ COMMITTED (set once per connection by
 * data-access/pool.ts), so a retry after a duplicate key finds the row that won. A transaction
 * is retried a bounded number of times, then fails with RETRY_EXHAUSTED; a database that cannot
 * be reached fails with DB_UNAVAILABLE (503).
 */
export function databaseOf(pool: Pool): Database {
  const db: Database = {
    run: (statements) => send(pool, statements).catch((error: unknown) => Promise.reject(isDatabaseUnavailable(error) ? unavailable(error) : error)),
    read: (...queries) => readWith(db, queries),
    async transaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const attempts = options.attempts ?? 6;
      for (let attempt = 1; ; attempt++) {
        let connection: PoolConnection | undefined;
        let ok = false;
        try {
          connection = await pool.getConnection();
          const tx = new ConnectionTx(connection);
          const result = await fn(tx);
          await tx.commit();
          ok = true;
          return result;
        } catch (error) {
          if (isDatabaseUnavailable(error)) {
            connection?.destroy(); // its node is gone or left the cluster: never back into the pool
            connection = undefined;
            throw unavailable(error);
          }
          if (!isRetryable(error, options.rereads ?? false)) throw error;
          if (attempt >= attempts) {
            // The driver's message stays in the cause (logged without SQL or values), never in ours:
            // "Duplicate entry 'x@…'" would carry a user's address to whoever reads the answer.
            throw new AppError('RETRY_EXHAUSTED', `Gave up after ${attempts} attempts (errno ${errno(error)}); try again later.`, 503, error);
          }
          options.logger?.debug({ attempt, errno: errno(error) }, 'transaction conflict, retrying');
        } finally {
          if (connection) await release(connection, ok);
        }
        await backoff(attempt);
      }
    },
    async open(): Promise<OpenTransaction> {
      let connection: PoolConnection;
      try {
        connection = await pool.getConnection();
      } catch (error) {
        throw isDatabaseUnavailable(error) ? unavailable(error) : error;
      }
      const tx = new ConnectionTx(connection);
      let open = true;
      return {
        tx,
        async commit() {
          if (!open) throw new Error('transaction already ended');
          open = false;
          try {
            await tx.commit();
          } catch (error) {
            await release(connection, false);
            throw isDatabaseUnavailable(error) ? unavailable(error) : error;
          }
          connection.release();
        },
        async rollback() {
          if (!open) return;
          open = false;
          await release(connection, false);
        },
      };
    },
    inUse() {
      // mysql2 keeps these on the underlying callback pool; read defensively.
      const inner = (pool as unknown as { pool?: { _allConnections?: { length: number }; _freeConnections?: { length: number } } }).pool;
      return Math.max(0, (inner?._allConnections?.length ?? 0) - (inner?._freeConnections?.length ?? 0));
    },
    end: () => pool.end(),
  };
  return db;
}
