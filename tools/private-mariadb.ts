/**
 * A private MariaDB instance in a folder of its own: its own data directory, socket and
 * loopback port. Used by the test harness, the demo and the benchmarks when no MYSQL_URL is
 * given. Nothing here touches a system-wide database server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';

export interface PrivateMariaDb {
  /** mysql://bridge:bridge@127.0.0.1:PORT/ — append a database name. */
  readonly baseUrl: string;
  readonly port: number;
  readonly socketPath: string;
  readonly dataDir: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** SIGKILL then start again on the same port and data (fault tests). */
  restart(opts?: { downMs?: number }): Promise<void>;
}

export interface PrivateMariaDbOptions {
  /** Folder holding data/, the socket and the error log. Created when missing. */
  baseDir: string;
  /** Loopback port; a free one is picked when omitted. */
  port?: number;
  /** innodb_buffer_pool_size, e.g. "256M". */
  bufferPool?: string;
  /** Trade durability for speed (tests and benchmarks only): innodb_flush_log_at_trx_commit=2, no doublewrite. */
  fast?: boolean;
  /** innodb_flush_log_at_trx_commit, overriding `fast`'s 2 (the load script compares the three). */
  flushLogAtTrxCommit?: 0 | 1 | 2;
  /** innodb_log_file_size (redo log), e.g. "1G"; MariaDB's default when omitted. */
  redoLog?: string;
}

const USER = 'bridge';
const PASSWORD = 'bridge';

export function findBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${name} not found. Install MariaDB (as root: apt-get install -y mariadb-server) or set MYSQL_URL.`,
  );
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

const stablePorts = new Set<number>();

/**
 * A free loopback port. `stable`: one below the kernel's ephemeral range, so that no outgoing
 * connection can take it as its source port while its server is down (a killed cluster node,
 * whose peers keep dialling its port, must get that port back when it restarts).
 */
export async function freePort(options: { stable?: boolean } = {}): Promise<number> {
  if (!options.stable) return listenOn(0);
  const range = existsSync('/proc/sys/net/ipv4/ip_local_port_range') ? readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8') : '32768';
  const low = Math.max(11_000, Number(range.trim().split(/\s+/)[0]) || 32768);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (stablePorts.has(port)) continue;
    try {
      await listenOn(port);
      stablePorts.add(port);
      return port;
    } catch {
      // taken: try another
    }
  }
  throw new Error('no free port below the ephemeral range');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function initialiseDataDir(dataDir: string, errorLog: string): void {
  if (existsSync(path.join(dataDir, 'mysql'))) return;
  mkdirSync(dataDir, { recursive: true });
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ];
  if (process.getuid?.() === 0) args.push('--user=root');
  const result = spawnSync(findBinary('mariadb-install-db'), args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `mariadb-install-db failed (exit ${result.status}): ${result.stderr || result.stdout}` +
        (existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-2000) : ''),
    );
  }
}

async function waitForSocket(socketPath: string, child: ChildProcess, errorLog: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-3000) : '';
      throw new Error(`mariadbd exited with code ${child.exitCode} while starting:\n${log}`);
    }
    try {
      const conn = await mysql.createConnection({ socketPath, user: 'root' });
      await conn.end();
      return;
    } catch (error) {
      lastError = error;
      await sleep(150);
    }
  }
  throw new Error(`mariadbd did not accept connections within 60 s: ${String(lastError)}`);
}

/** The arguments every private server gets: its own files, loopback only, the CRM's charset. */
export function serverArgs(baseDir: string, dataDir: string, port: number, bufferPool: string): string[] {
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${path.join(baseDir, 'mysqld.sock')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${path.join(baseDir, 'mysqld.pid')}`,
    `--log-error=${path.join(baseDir, 'error.log')}`,
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    `--innodb-buffer-pool-size=${bufferPool}`,
    '--max-connections=500',
  ];
  if (process.getuid?.() === 0) args.push('--user=root');
  return args;
}

/** A mariadbd process of a folder (data/, socket, logs), started and stopped by us. */
export interface ServerProcess {
  readonly socketPath: string;
  readonly dataDir: string;
  readonly errorLog: string;
  readonly pid: number;
  /** Starts mariadbd with these arguments and waits until it accepts connections on its socket. */
  launch(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<void>;
  /** Sends the signal and waits for the exit (SIGKILL after 30 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  readonly running: boolean;
}

export function serverProcess(baseDir: string): ServerProcess {
  const dir = path.resolve(baseDir);
  const dataDir = path.join(dir, 'data');
  const socketPath = path.join(dir, 'mysqld.sock');
  const errorLog = path.join(dir, 'error.log');
  mkdirSync(dir, { recursive: true });
  initialiseDataDir(dataDir, errorLog);
  let child: ChildProcess | undefined;
  return {
    socketPath,
    dataDir,
    errorLog,
    get pid() {
      return child?.pid ?? -1;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async launch(args, env) {
      const out = openSync(path.join(dir, 'mariadbd.out'), 'a');
      child = spawn(findBinary('mariadbd'), [...args], { stdio: ['ignore', out, out], detached: false, env: env ?? process.env });
      await waitForSocket(socketPath, child, errorLog);
    },
    async stop(signal = 'SIGTERM') {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill(signal);
      const timer = setTimeout(() => {
        if (running.exitCode === null) running.kill('SIGKILL');
      }, 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The test user (bridge/bridge, every privilege) on a server reached by its socket as root. */
export async function createBridgeUser(socketPath: string): Promise<void> {
  const admin = await mysql.createConnection({ socketPath, user: 'root' });
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      await admin.query(`CREATE USER IF NOT EXISTS '${USER}'@'${host}' IDENTIFIED BY '${PASSWORD}'`);
      await admin.query(`GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'${host}' WITH GRANT OPTION`);
    }
  } finally {
    await admin.end();
  }
}

export function bridgeUrl(hosts: string): string {
  return `mysql://${USER}:${PASSWORD}@${hosts}/`;
}

export async function startPrivateMariaDb(options: PrivateMariaDbOptions): Promise<PrivateMariaDb> {
  const server = serverProcess(options.baseDir);
  const port = options.port ?? (await freePort());
  const args = [...serverArgs(path.resolve(options.baseDir), server.dataDir, port, options.bufferPool ?? '256M'), '--skip-log-bin'];
  if (options.redoLog) args.push(`--innodb-log-file-size=${options.redoLog}`);
  if (options.fast) {
    args.push('--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0', '--innodb-doublewrite=0');
  }
  if (options.flushLogAtTrxCommit !== undefined) args.push(`--innodb-flush-log-at-trx-commit=${options.flushLogAtTrxCommit}`);

  await server.launch(args);
  await createBridgeUser(server.socketPath);

  return {
    baseUrl: bridgeUrl(`127.0.0.1:${port}`),
    port,
    socketPath: server.socketPath,
    dataDir: server.dataDir,
    get pid() {
      return server.pid;
    },
    stop: () => server.stop('SIGTERM'),
    restart: async (opts) => {
      await server.stop('SIGKILL');
      if (opts?.downMs) await sleep(opts.downMs);
      await server.launch(args);
    },
  };
}
