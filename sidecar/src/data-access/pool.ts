import { connect } from 'node:net';
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';
import { isDatabaseUnavailable } from '../lib/errors';
import { parseMysqlUrl } from '../lib/mysql-url';
import { databaseOf, type Database, type Statement } from '../lib/transaction';

export type { Pool, PoolConnection };
/** Anything repositories can run a statement on: the pool, or a connection inside a transaction. */
export type Db = Pool | PoolConnection;

export interface PoolOptions {
  url: string;
  connectionLimit: number;
  /** Told when the pool leaves a node for the next one (the sidecar logs it). */
  onNodeChange?: (change: NodeChange) => void;
}

export interface NodeChange {
  /** 1-based positions in MYSQL_URL's host list. */
  from: number;
  to: number;
  reason: string;
}

/** The node the pool uses now, as /readyz shows it (positions, never hosts: the answer is unsigned). */
export interface NodeReport {
  /** 1-based position in MYSQL_URL's host list. */
  node: number;
  nodes: number;
  /** Galera's view of that node when the pool last connected to it; null on a server without Galera. */
  galera: { state: string; clusterSize: number } | null;
}

/** A node is usable when it answers and, on Galera, is Synced and ready (checked on connect). */
interface NodeState {
  usable: boolean;
  reason: string;
  galera: NodeReport['galera'];
}

const WSREP_STATUS =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_cluster_status')";

function nodeState(rows: Array<{ Variable_name: string; Value: string }>): NodeState {
  const status = new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
  const state = status.get('wsrep_local_state_comment');
  if (state === undefined) return { usable: true, reason: '', galera: null }; // not a Galera node
  const galera = { state, clusterSize: Number(status.get('wsrep_cluster_size') ?? 0) };
  const usable = status.get('wsrep_ready') === 'ON' && state === 'Synced' && status.get('wsrep_cluster_status') === 'Primary';
  return { usable, reason: usable ? '' : `node is ${state}, ready=${status.get('wsrep_ready')}, ${status.get('wsrep_cluster_status')}`, galera };
}

type CoreCallback = (error: Error | null, connection?: CoreConnection) => void;
interface CoreConnection {
  stream: unknown;
  destroy(): void;
  query(sql: string, cb?: (error: Error | null, rows?: unknown) => void): unknown;
}
interface CorePool {
  getConnection(cb: CoreCallback): void;
}

/**
 * One pool per process. UTC sessions, utf8mb4 with the CRM's collation, short connect
 * timeout so that a database outage is reported quickly instead of hanging requests.
 *
 * With several hosts (a Galera cluster's nodes) the pool talks to one at a time: every new
 * connection goes to the current node and is checked (Synced, ready, in the primary component)
 * before it is handed out; a node that refuses connections or fails the check is left for the
 * next one in the list, and the connection is asked for again there, once per node. With one
 * host (a single server, or a proxy in front of the cluster) nothing is refused on the check.
 */
export function createPool({ url, connectionLimit, onNodeChange }: PoolOptions): Pool {
  const target = parseMysqlUrl(url);
  const { nodes, socketPath } = target;
  let current = 0;
  let lastSeen: NodeReport['galera'] = null;
  const nodeOfSocket = new WeakMap<object, number>();
  const leave = (index: number, reason: string): void => {
    if (index !== current || nodes.length === 1) return;
    current = (current + 1) % nodes.length;
    lastSeen = null;
    onNodeChange?.({ from: index + 1, to: current + 1, reason });
  };
  const pool = mysql.createPool({
    // A socket of its own per connection, to the node in use when it is made.
    ...(socketPath
      ? { socketPath }
      : {
          stream: () => {
            const index = current;
            const socket = connect(nodes[index].port, nodes[index].host);
            socket.setNoDelay(true);
            socket.once('connect', () => socket.setKeepAlive(true));
            nodeOfSocket.set(socket, index);
            return socket;
          },
        }),
    user: target.user,
    password: target.password,
    database: target.database,
    connectionLimit,
    maxIdle: connectionLimit,
    idleTimeout: 60_000,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: 5_000,
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
  const checks = new WeakMap<object, Promise<NodeState>>();
  pool.on('connection', (connection) => {
    // Sessions in UTC, and READ COMMITTED for every transaction (see lib/transaction.ts):
    // set once per connection, not once per transaction. Commands on a connection run in
    // order, so these precede anything the pool hands the connection out for.
    connection.query("SET time_zone = '+00:00'");
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    const core = connection as unknown as CoreConnection;
    checks.set(
      core,
      new Promise((resolve) => {
        core.query(WSREP_STATUS, (error, rows) =>
          resolve(error ? { usable: false, reason: 'status not readable', galera: null } : nodeState(rows as Array<{ Variable_name: string; Value: string }>)),
        );
      }),
    );
  });

  // Every way to a connection (query, execute, getConnection) goes through the core pool's
  // getConnection: there a new connection waits for its check, and a node that is gone or
  // not usable is left for the next one.
  const core = (pool as unknown as { pool: CorePool }).pool;
  const getConnection = core.getConnection.bind(core);
  core.getConnection = (cb: CoreCallback): void => {
    let tries = 0;
    const attempt = (): void => {
      const asked = current;
      getConnection((error, connection) => {
        if (error || !connection) {
          if (isDatabaseUnavailable(error) && ++tries < nodes.length) {
            leave(asked, (error as { code?: string })?.code ?? 'unreachable');
            return attempt();
          }
          if (isDatabaseUnavailable(error)) leave(asked, (error as { code?: string })?.code ?? 'unreachable');
          return cb(error);
        }
        const check = checks.get(connection);
        if (!check) return cb(null, connection);
        checks.delete(connection);
        void check.then((state) => {
          // With one host there is no other node to go to: its own answers decide (1047 is a 503).
          if (state.usable || nodes.length === 1) {
            lastSeen = state.galera;
            return cb(null, connection);
          }
          connection.destroy();
          leave(nodeOfSocket.get(connection.stream as object) ?? asked, state.reason);
          if (++tries < nodes.length) return attempt();
          cb(Object.assign(new Error(`no usable database node: ${state.reason}`), { code: 'ER_SERVER_GONE_ERROR', fatal: true }));
        });
      });
    };
    attempt();
  };
  reports.set(pool, () => ({ node: current + 1, nodes: nodes.length, galera: lastSeen }));
  return pool;
}

const reports = new WeakMap<Pool, () => NodeReport>();

/** The node a pool of createPool uses now. */
export function nodeInUse(pool: Pool): NodeReport {
  return reports.get(pool)?.() ?? { node: 1, nodes: 1, galera: null };
}

/** The one pool of the process, as the Database the rest of the sidecar uses. */
export function createDatabase(options: PoolOptions): Database {
  return databaseOf(createPool(options));
}

/** Runs one statement on a mysql2 pool or connection (migrations, which run before the Database exists). */
export async function execute(db: Db, statement: Statement): Promise<void> {
  await db.query(statement.sql, statement.values);
}
