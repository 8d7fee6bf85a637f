/**
 * The real sidecar as a separate process (node dist/sidecar/src/main.js), the way WordPress
 * sees it in production. Stop and start it again on the same port for outage tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sign } from '../../../sidecar/src/entry-points/http/signature';

export interface SidecarProcessOptions {
  /** mysql://…/database (the WordPress database; the sidecar migrates it at start). */
  mysqlUrl: string;
  secret: string;
  port: number;
  tablePrefix?: string;
  /** JSON lines of stdout/stderr are appended here. */
  logFile: string;
}

export interface SidecarProcess {
  readonly url: string;
  /** Starts the process; `env` is added to its environment from now on (CRM_DOMAIN_BY_BLOG, …). */
  start(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  /** Signed request to the sidecar's public API (what the shim does), for assertions. */
  request(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<{ status: number; data: any }>;
  /** Number of requests for this path the sidecar has logged so far (LOG_LEVEL=debug). */
  requestCount(pathPrefix: string): number;
}

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const sidecarMain = path.join(repoRoot, 'dist', 'sidecar', 'src', 'main.js');

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createSidecarProcess(options: SidecarProcessOptions): SidecarProcess {
  const url = `http://127.0.0.1:${options.port}`;
  let child: ChildProcess | undefined;
  let extraEnv: Record<string, string> = {};

  const waitUntilReady = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      if (child?.exitCode !== null && child?.exitCode !== undefined) {
        throw new Error(`sidecar exited with code ${child.exitCode}:\n${readFileSync(options.logFile, 'utf8').slice(-3000)}`);
      }
      try {
        const response = await fetch(`${url}/readyz`);
        last = `HTTP ${response.status} ${await response.text()}`;
        if (response.status === 200) return;
      } catch (error) {
        last = String(error);
      }
      await sleep(100);
    }
    throw new Error(`sidecar not ready within 30 s (${last}):\n${readFileSync(options.logFile, 'utf8').slice(-3000)}`);
  };

  return {
    url,
    async start(env = {}) {
      extraEnv = { ...extraEnv, ...env };
      if (!existsSync(sidecarMain)) throw new Error(`${sidecarMain} is missing: run npm run build`);
      if (child && child.exitCode === null && child.signalCode === null) return;
      const out = openSync(options.logFile, 'a');
      child = spawn(process.execPath, [sidecarMain], {
        env: {
          ...process.env,
          MYSQL_URL: options.mysqlUrl,
          BRIDGE_SECRET: options.secret,
          PORT: String(options.port),
          HOST: '127.0.0.1',
          WP_TABLE_PREFIX: options.tablePrefix ?? 'wp_',
          SYNC_CRON: '',
          LOG_LEVEL: 'debug',
          ...extraEnv,
        },
        stdio: ['ignore', out, out],
      });
      await waitUntilReady();
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async request(method, pathAndQuery, body) {
      const raw = body === undefined ? '' : JSON.stringify(body);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(`${url}${pathAndQuery}`, {
        method,
        headers: {
          'X-Bridge-Timestamp': timestamp,
          'X-Bridge-Signature': sign(options.secret, { timestamp, method, path: pathAndQuery, rawBody: raw }),
          ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
        },
        body: method === 'POST' ? raw : undefined,
      });
      const text = await response.text();
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: response.status, data };
    },
    requestCount(pathPrefix) {
      if (!existsSync(options.logFile)) return 0;
      let n = 0;
      for (const line of readFileSync(options.logFile, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { path?: unknown; msg?: unknown };
          if (entry.msg === 'request' && typeof entry.path === 'string' && entry.path.startsWith(pathPrefix)) n += 1;
        } catch {
          /* not a log line */
        }
      }
      return n;
    },
  };
}
