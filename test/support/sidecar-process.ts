/** The sidecar as a real process (`node dist/sidecar/src/main.js`), as `npm start` runs it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../tools/private-mariadb';
import { TEST_SECRET } from './sidecar';
import { SignedClient } from '../../tools/signed-client';

export const MAIN = path.resolve(__dirname, '../../sidecar/src/main.js');

export interface SidecarProcess {
  child: ChildProcess;
  url: string;
  port: number;
  client: SignedClient;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Soft limit of open files for the process (`ulimit -n`), like a service manager's default of 1024. */
  maxOpenFiles?: number;
}

export type SpawnedProcess = Omit<SidecarProcess, 'url' | 'port' | 'client'>;

export function spawnSidecar(env: Record<string, string>, options: SpawnOptions = {}): SpawnedProcess {
  const [command, args] =
    options.maxOpenFiles === undefined
      ? [process.execPath, [MAIN]]
      : ['bash', ['-c', `ulimit -Sn ${Math.floor(options.maxOpenFiles)} && exec "$0" "$1"`, process.execPath, MAIN]];
  return spawnCollecting(command, args, { PATH: process.env.PATH ?? '', ...env });
}

/** A process whose stdout and stderr are kept (output()), with only `env` as its environment. */
export function spawnCollecting(command: string, args: string[], env: Record<string, string>, cwd?: string): SpawnedProcess {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Starts the process on a free port and waits until /readyz answers 200. */
export async function startSidecarProcess(
  mysqlUrl: string,
  env: Record<string, string> = {},
  options: SpawnOptions = {},
): Promise<SidecarProcess> {
  const port = await freePort();
  const spawned = spawnSidecar(
    {
      MYSQL_URL: mysqlUrl,
      BRIDGE_SECRET: TEST_SECRET,
      PORT: String(port),
      SYNC_CRON: '',
      ...env,
    },
    options,
  );
  const url = `http://127.0.0.1:${port}`;
  await untilReady(spawned, url);
  return { ...spawned, url, port, client: new SignedClient({ baseUrl: url, secret: TEST_SECRET }) };
}

/** Waits until the sidecar at `url` answers /readyz 200; throws with its output when it exits first or never does. */
export async function untilReady(spawned: SpawnedProcess, url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const exited = await Promise.race([spawned.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
    if (exited) throw new Error(`sidecar exited while starting:\n${spawned.output()}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
  }
  spawned.child.kill('SIGKILL');
  throw new Error(`sidecar did not become ready:\n${spawned.output()}`);
}
