import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';
import { databaseOf, type Database, type Statement } from '../lib/transaction';

export type { Pool, PoolConnection };
/** Anything repositories can run a statement on: the pool, or a connection inside a transaction. */
export type Db = Pool | PoolConnection;

export interface PoolOptions {
  url: string;
  connectionLimit: number;
}

/**
 * One pool per process. UTC sessions, utf8mb4 with the CRM's collation, short connect
 * timeout so that a database outage is reported quickly instead of hanging requests.
 */
export function createPool({ url, connectionLimit }: PoolOptions): Pool {
  const parsed = new URL(url);
  const socketPath = parsed.searchParams.get('socketPath') ?? undefined;
  const pool = mysql.createPool({
    host: socketPath ? undefined : parsed.hostname || '127.0.0.1',
    port: socketPath ? undefined : Number(parsed.port || 3306),
    socketPath,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    connectionLimit,
    maxIdle: connectionLimit,
    idleTimeout: 60_000,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: 5_000,
    enableKeepAlive: true,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: false,
    // Several statements per query let one transaction's statements share round trips
    // (lib/transaction.ts runStatements). Safe here because no text from outside is ever
    // spliced into SQL: every value is a bound parameter, the only identifiers are validated
    // table names (data-access/tables.ts), and the SQL-injection tests cover both.
    multipleStatements: true,
    // mysql2 otherwise captures the caller's stack for every query (about 4% of the sidecar's
    // CPU under hook load, measured with --cpu-prof); our errors carry their SQL error codes.
    trace: false,
  });
  pool.on('connection', (connection) => {
    // Sessions in UTC, and READ COMMITTED for every transaction (see lib/transaction.ts):
    // set once per connection, not once per transaction. Commands on a connection run in
    // order, so these precede anything the pool hands the connection out for.
    connection.query("SET time_zone = '+00:00'");
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  return pool;
}

/** The one pool of the process, as the Database the rest of the sidecar uses. */
export function createDatabase(options: PoolOptions): Database {
  return databaseOf(createPool(options));
}

/** Runs one statement on a mysql2 pool or connection (migrations, which run before the Database exists). */
export async function execute(db: Db, statement: Statement): Promise<void> {
  await db.query(statement.sql, statement.values);
}
