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

function findBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${name} not found. Install MariaDB (as root: apt-get install -y mariadb-server) or set MYSQL_URL.`,
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
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

export async function startPrivateMariaDb(options: PrivateMariaDbOptions): Promise<PrivateMariaDb> {
  const baseDir = path.resolve(options.baseDir);
  const dataDir = path.join(baseDir, 'data');
  const socketPath = path.join(baseDir, 'mysqld.sock');
  const errorLog = path.join(baseDir, 'error.log');
  mkdirSync(baseDir, { recursive: true });
  initialiseDataDir(dataDir, errorLog);
  const port = options.port ?? (await freePort());

  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socketPath}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${path.join(baseDir, 'mysqld.pid')}`,
    `--log-error=${errorLog}`,
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    `--innodb-buffer-pool-size=${options.bufferPool ?? '256M'}`,
    '--max-connections=500',
    '--skip-log-bin',
  ];
  if (options.redoLog) args.push(`--innodb-log-file-size=${options.redoLog}`);
  if (options.fast) {
    args.push('--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0', '--innodb-doublewrite=0');
  }
  if (options.flushLogAtTrxCommit !== undefined) args.push(`--innodb-flush-log-at-trx-commit=${options.flushLogAtTrxCommit}`);
  if (process.getuid?.() === 0) args.push('--user=root');

  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    const out = openSync(path.join(baseDir, 'mariadbd.out'), 'a');
    child = spawn(findBinary('mariadbd'), args, { stdio: ['ignore', out, out], detached: false });
    await waitForSocket(socketPath, child, errorLog);
  };
  await launch();

  const admin = await mysql.createConnection({ socketPath, user: 'root' });
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      await admin.query(`CREATE USER IF NOT EXISTS '${USER}'@'${host}' IDENTIFIED BY '${PASSWORD}'`);
      await admin.query(`GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'${host}' WITH GRANT OPTION`);
    }
  } finally {
    await admin.end();
  }

  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => {
      if (running.exitCode === null) running.kill('SIGKILL');
    }, 30_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    baseUrl: `mysql://${USER}:${PASSWORD}@127.0.0.1:${port}/`,
    port,
    socketPath,
    dataDir,
    get pid() {
      return child.pid ?? -1;
    },
    stop: () => stopChild('SIGTERM'),
    restart: async (opts) => {
      await stopChild('SIGKILL');
      if (opts?.downMs) await sleep(opts.downMs);
      await launch();
    },
  };
}
