/**
 * A MariaDB Galera cluster of private nodes on 127.0.0.1: each node its own folder (data/,
 * socket, logs) and ports (SQL, group communication, state transfers), started with
 * Debian's galera-4 provider. Used by the Galera test suite and `npm run bench -- --galera`.
 * Nothing here touches a system-wide database server.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { bridgeUrl, createBridgeUser, findBinary, freePort, serverArgs, serverProcess, sleep, type ServerProcess } from './private-mariadb';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';

export interface GaleraNode {
  /** 1-based, as in MYSQL_URL's host list. */
  readonly index: number;
  /** SQL port on 127.0.0.1. */
  readonly port: number;
  /** mysql://bridge:bridge@127.0.0.1:PORT/ — append a database name. */
  readonly baseUrl: string;
  readonly socketPath: string;
  readonly errorLog: string;
  readonly running: boolean;
  /** SIGKILL: the node dies as a crashed server would. */
  kill(): Promise<void>;
  /** Starts the node again on its data; it rejoins and catches up (IST when the donor still has the write sets). */
  start(): Promise<void>;
}

export interface GaleraCluster {
  readonly nodes: readonly GaleraNode[];
  /** mysql://bridge:bridge@127.0.0.1:P1,127.0.0.1:P2,…/ — every node, in order. */
  readonly baseUrl: string;
  /** wsrep_cluster_size as one running node sees it. */
  clusterSize(): Promise<number>;
  /** Waits until every running node is Synced in a cluster of `size` nodes. */
  waitForSize(size: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface GaleraClusterOptions {
  /** Folder holding node1/, node2/, … and the SST wrapper. Created when missing. */
  baseDir: string;
  /** Nodes in the cluster; 3 by default. */
  size?: number;
  /** innodb_buffer_pool_size of each node. */
  bufferPool?: string;
}

/**
 * Running as root, the joiner's rsync daemon would drop to user nobody and could not write the
 * data directory: the SST method is a wrapper that runs the stock rsync SST with an rsync
 * whose daemon keeps root. Returns the method name and the folder to put first in PATH.
 */
function sstMethod(baseDir: string): { method: string; binDir: string | null } {
  if (process.getuid?.() !== 0) return { method: 'rsync', binDir: null };
  const binDir = path.join(baseDir, 'bin');
  const shimDir = path.join(binDir, 'rsync-as-root');
  mkdirSync(shimDir, { recursive: true });
  const rsync = path.join(shimDir, 'rsync');
  writeFileSync(
    rsync,
    '#!/bin/sh\ncase " $* " in\n  *" --daemon "*) exec /usr/bin/rsync "$@" --dparam=uid=root --dparam=gid=root ;;\nesac\nexec /usr/bin/rsync "$@"\n',
  );
  const wrapper = path.join(binDir, 'wsrep_sst_rsync_root');
  writeFileSync(wrapper, `#!/bin/sh\nPATH="${shimDir}:$PATH"\nexport PATH\nexec /usr/bin/wsrep_sst_rsync "$@"\n`);
  chmodSync(rsync, 0o755);
  chmodSync(wrapper, 0o755);
  return { method: 'rsync_root', binDir };
}

/**
 * A node that crashed does not know where it stopped (grastate.dat says seqno -1) and would ask
 * for a full state transfer: `--wsrep-recover` reads the position from InnoDB, and starting at
 * it lets the node catch up by IST from the donor's write-set cache.
 */
function recoveredPosition(dir: string, args: readonly string[]): string[] {
  const log = path.join(dir, 'recover.log');
  rmSync(log, { force: true });
  spawnSync(findBinary('mariadbd'), [...args.filter((a) => !a.startsWith('--log-error=')), `--log-error=${log}`, '--wsrep-recover'], { stdio: 'ignore' });
  const found = existsSync(log) ? /WSREP: Recovered position: ([0-9a-f-]{36}:-?\d+)/.exec(readFileSync(log, 'utf8')) : null;
  return found && !found[1].endsWith(':-1') ? [`--wsrep-start-position=${found[1]}`] : [];
}

async function status(socketPath: string): Promise<Record<string, string>> {
  const conn = await mysql.createConnection({ socketPath, user: 'root' });
  try {
    const [rows] = await conn.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')");
    return Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]));
  } finally {
    await conn.end();
  }
}

export async function startGaleraCluster(options: GaleraClusterOptions): Promise<GaleraCluster> {
  if (!existsSync(GALERA_PROVIDER)) {
    throw new Error(`${GALERA_PROVIDER} not found: the Galera suite needs Debian's galera-4 and rsync (as root: apt-get install -y galera-4 rsync).`);
  }
  if (!existsSync('/usr/bin/rsync')) throw new Error('rsync not found: Galera state transfers need it (as root: apt-get install -y rsync).');
  const baseDir = path.resolve(options.baseDir);
  const size = options.size ?? 3;
  const { method, binDir } = sstMethod(baseDir);
  const env = binDir ? { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` } : process.env;
  // Ports below the ephemeral range: a dead node's peers keep dialling its ports, and one of those
  // connections could otherwise be given that very port as its source and keep the node from restarting.
  const port = () => freePort({ stable: true });
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ sql: await port(), group: await port(), sst: await port(), ist: await port() })));
  const clusterAddress = `gcomm://${ports.map((p) => `127.0.0.1:${p.group}`).join(',')}`;

  const nodes = ports.map((p, i) => {
    const dir = path.join(baseDir, `node${i + 1}`);
    const server: ServerProcess = serverProcess(dir);
    const args = [
      ...serverArgs(dir, server.dataDir, p.sql, options.bufferPool ?? '64M'),
      '--skip-log-bin',
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-log-file-size=8M',
      '--wsrep-on=ON',
      `--wsrep-provider=${GALERA_PROVIDER}`,
      `--wsrep-cluster-address=${clusterAddress}`,
      '--wsrep-cluster-name=contact-bridge-test',
      `--wsrep-node-name=node${i + 1}`,
      `--wsrep-node-address=127.0.0.1:${p.group}`,
      `--wsrep-sst-method=${method}`,
      `--wsrep-sst-receive-address=127.0.0.1:${p.sst}`,
      // A dead node is noticed within a few seconds (the defaults wait longer).
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${p.group};ist.recv_addr=127.0.0.1:${p.ist};gcache.size=64M;` +
        'evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S',
    ];
    const node: GaleraNode = {
      index: i + 1,
      port: p.sql,
      baseUrl: bridgeUrl(`127.0.0.1:${p.sql}`),
      socketPath: server.socketPath,
      errorLog: server.errorLog,
      get running() {
        return server.running;
      },
      kill: () => server.stop('SIGKILL'),
      start: async () => server.launch([...args, ...recoveredPosition(dir, args)], env),
    };
    return { node, bootstrap: () => server.launch([...args, '--wsrep-new-cluster'], env), stop: () => server.stop('SIGTERM') };
  });

  const cluster: GaleraCluster = {
    nodes: nodes.map((n) => n.node),
    baseUrl: bridgeUrl(ports.map((p) => `127.0.0.1:${p.sql}`).join(',')),
    async clusterSize() {
      const node = cluster.nodes.find((n) => n.running);
      return node ? Number((await status(node.socketPath)).wsrep_cluster_size) : 0;
    },
    async waitForSize(wanted, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        const seen = await Promise.all(cluster.nodes.filter((n) => n.running).map((n) => status(n.socketPath).catch(() => ({}) as Record<string, string>)));
        last = JSON.stringify(seen);
        if (seen.every((s) => Number(s.wsrep_cluster_size) === wanted && s.wsrep_local_state_comment === 'Synced' && s.wsrep_ready === 'ON')) return;
        await sleep(100);
      }
      throw new Error(`the Galera cluster did not reach ${wanted} synced nodes within ${timeoutMs} ms: ${last}`);
    },
    async stop() {
      // The last node to stop is the most advanced one: stopped in reverse order of start.
      for (const n of [...nodes].reverse()) await n.stop();
    },
  };

  try {
    await nodes[0].bootstrap();
    await createBridgeUser(nodes[0].node.socketPath); // replicated to the joiners by their state transfer
    // Joiners one at a time: each takes a full state transfer from a donor.
    for (const n of nodes.slice(1)) await n.node.start();
    await cluster.waitForSize(size);
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
  return cluster;
}
