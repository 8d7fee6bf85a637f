import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';

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
    multipleStatements: false,
  });
  pool.on('connection', (connection) => {
    // Sessions in UTC; NO_ZERO_DATE etc. are left as the server has them.
    connection.query("SET time_zone = '+00:00'");
  });
  return pool;
}
