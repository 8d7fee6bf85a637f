/**
 * npm run bench -- --galera — the bulk sync and the hook path on a 3-node MariaDB Galera cluster
 * (tools/galera-cluster.ts; three sidecars, one per node, each given every node) against one
 * private MariaDB (three sidecars on it), side by side in one run, on the same generated sites.
 * Prints figures, the write sets' size and the certification-conflict rate; asserts nothing.
 *
 *   bulk   POST /v1/sync on one sidecar; time from its run record
 *   hooks  user_register for every user of a fresh site, round-robin over the sidecars; then
 *          each event sent to two sidecars at once (as a queue retrying through a balancer
 *          would: the same keys written on two nodes); BENCH_GALERA_CONCURRENCY users in flight
 *
 * BENCH_GALERA_USERS (bulk, default 20000), BENCH_GALERA_HOOK_USERS (default 2000),
 * BENCH_GALERA_BUFFER_POOL (each server, default 256M), SYNC_CHUNK_SIZE (default: the sidecar's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { startSidecarProcess, type SidecarProcess } from '../test/support/sidecar-process';
import { startGaleraCluster, type GaleraCluster } from '../tools/galera-cluster';
import { startPrivateMariaDb, type PrivateMariaDb } from '../tools/private-mariadb';
import { createBenchDatabase, generateBenchData } from './bench-data';

const PREFIX = 'wp_';
const USERS = Number(process.env.BENCH_GALERA_USERS ?? 20000);
const HOOK_USERS = Number(process.env.BENCH_GALERA_HOOK_USERS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_GALERA_CONCURRENCY ?? 16);
const BUFFER_POOL = process.env.BENCH_GALERA_BUFFER_POOL ?? '256M';

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A database under test: its servers (one, or the cluster's nodes in order), each as mysql://…/ */
interface Target {
  label: string;
  servers: string[];
  /** Each sidecar's MYSQL_URL hosts: the one server three times, or every node with its own first. */
  sidecarHosts: string[];
  /** Galera status of every running node (empty on one server). */
  galera(): Promise<GaleraCounters>;
}

interface GaleraCounters {
  writeSets: number;
  bytes: number;
  conflicts: number;
}

function hostsOf(baseUrl: string): string {
  return new URL(baseUrl).host;
}

function since(before: GaleraCounters, after: GaleraCounters): GaleraCounters {
  return { writeSets: after.writeSets - before.writeSets, bytes: after.bytes - before.bytes, conflicts: after.conflicts - before.conflicts };
}

async function counters(cluster: GaleraCluster): Promise<GaleraCounters> {
  const sum: GaleraCounters = { writeSets: 0, bytes: 0, conflicts: 0 };
  for (const node of cluster.nodes.filter((n) => n.running)) {
    const conn = await mysql.createConnection({ socketPath: node.socketPath, user: 'root' });
    try {
      const [rows] = await conn.query<RowDataPacket[]>(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_replicated', 'wsrep_replicated_bytes', 'wsrep_local_cert_failures', 'wsrep_local_bf_aborts')",
      );
      const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
      sum.writeSets += value('wsrep_replicated');
      sum.bytes += value('wsrep_replicated_bytes');
      sum.conflicts += value('wsrep_local_cert_failures') + value('wsrep_local_bf_aborts');
    } finally {
      await conn.end();
    }
  }
  return sum;
}

async function sidecarsOn(target: Target, name: string): Promise<SidecarProcess[]> {
  return Promise.all(
    target.sidecarHosts.map((hosts) =>
      startSidecarProcess(`mysql://bridge:bridge@${hosts}/${name}`, { LOG_LEVEL: 'warn', WP_TABLE_PREFIX: PREFIX, ...(process.env.SYNC_CHUNK_SIZE ? { SYNC_CHUNK_SIZE: process.env.SYNC_CHUNK_SIZE } : {}) }),
    ),
  );
}

async function stop(sidecars: SidecarProcess[]): Promise<void> {
  for (const s of sidecars) s.child.kill('SIGTERM');
  await Promise.all(sidecars.map((s) => s.exited));
}

/** A generated site of `users` users on the target, its three sidecars started; both ended after `fn`. */
async function onSite<T>(target: Target, name: string, users: number, fn: (pool: Pool, sidecars: SidecarProcess[]) => Promise<T>): Promise<T> {
  const { pool } = await createBenchDatabase(target.servers[0], PREFIX, name);
  const sidecars = await sidecarsOn(target, name);
  try {
    await generateBenchData(pool, PREFIX, users);
    return await fn(pool, sidecars);
  } finally {
    await stop(sidecars);
    await pool.end();
  }
}

interface BulkResult {
  seconds: number;
  chunks: number;
  galera: GaleraCounters;
  counts: Record<string, number>;
}

async function bulk(target: Target): Promise<BulkResult> {
  return onSite(target, 'bench_galera_bulk', USERS, async (pool, sidecars) => {
    const before = await target.galera();
    const started = await sidecars[0].client.post('/v1/sync', { dry_run: false });
    if (started.status !== 202) throw new Error(`sync not started: ${JSON.stringify(started.body)}`);
    for (;;) {
      const run = (await sidecars[0].client.get(`/v1/sync/${started.body.id}`)).body;
      if (run.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = await target.galera();
    const [[run]] = await pool.query<RowDataPacket[]>(
      `SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1e6 AS s, status, checked, already_linked, matched, created, updated, skipped, conflicts, errors
         FROM contact_bridge_sync_run WHERE id = ?`,
      [started.body.id],
    );
    if (run.status !== 'completed') throw new Error(`the sync run ended ${run.status}`);
    const { s, status: _status, ...counts } = run;
    const chunkSize = Number(process.env.SYNC_CHUNK_SIZE ?? 2500);
    return {
      seconds: Number(s),
      chunks: Math.ceil(USERS / chunkSize),
      galera: since(before, after),
      counts: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])),
    };
  });
}

interface HookResult {
  events: number;
  seconds: number;
  p50: number;
  p95: number;
  non200: number;
  galera: GaleraCounters;
}

/** Every user registered once; `copies` 2 sends each event to two sidecars (nodes) at once. */
async function hooks(target: Target, copies: 1 | 2): Promise<HookResult> {
  return onSite(target, 'bench_galera_hooks', HOOK_USERS, async (pool, sidecars) => {
    // Fresh site: no links yet, so every event writes (the generated links are removed).
    await pool.query('DELETE FROM civicrm_uf_match');
    const before = await target.galera();
    const latencies: number[] = [];
    let non200 = 0;
    let next = 1;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next <= HOOK_USERS) {
          const id = next++;
          const body = { event: 'user_register', user_id: id };
          const to = Array.from({ length: copies }, (_, c) => sidecars[(id + c) % sidecars.length]);
          const t0 = process.hrtime.bigint();
          const replies = await Promise.all(to.map((s) => s.client.post('/v1/events', body)));
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          non200 += replies.filter((r) => r.status !== 200).length;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await target.galera();
    latencies.sort((a, b) => a - b);
    return {
      events: HOOK_USERS * copies,
      seconds,
      p50: latencies[Math.floor(latencies.length * 0.5)],
      p95: latencies[Math.floor(latencies.length * 0.95)],
      non200,
      galera: since(before, after),
    };
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-galera-bench-'));
  let single: PrivateMariaDb | undefined;
  let cluster: GaleraCluster | undefined;
  try {
    say(`contact-bridge on Galera vs one server — ${new Date().toISOString()}`);
    say(`machine: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, node ${process.version}; buffer pool ${BUFFER_POOL} per server; chunk ${process.env.SYNC_CHUNK_SIZE ?? 'default (2500)'} users`);
    single = await startPrivateMariaDb({ baseDir: path.join(dir, 'single'), fast: true, bufferPool: BUFFER_POOL });
    const t0 = Date.now();
    cluster = await startGaleraCluster({ baseDir: path.join(dir, 'cluster'), bufferPool: BUFFER_POOL });
    say(`Galera cluster of 3 started in ${fmt((Date.now() - t0) / 1000)} s (cold, two full state transfers)`);
    const nodes = cluster.nodes;
    const none = async (): Promise<GaleraCounters> => ({ writeSets: 0, bytes: 0, conflicts: 0 });
    const galera = cluster;
    const targets: Target[] = [
      { label: 'one server', servers: [single.baseUrl], sidecarHosts: [0, 1, 2].map(() => hostsOf(single!.baseUrl)), galera: none },
      {
        label: 'Galera, 3 nodes',
        servers: nodes.map((n) => n.baseUrl),
        sidecarHosts: nodes.map((_, i) => nodes.map((__, k) => hostsOf(nodes[(i + k) % nodes.length].baseUrl)).join(',')),
        galera: () => counters(galera),
      },
    ];
    const results: Array<{ target: Target; bulk: BulkResult; once: HookResult; twice: HookResult }> = [];
    for (const target of targets) {
      say(`\n${target.label}:`);
      const b = await bulk(target);
      say(`  bulk sync of ${USERS.toLocaleString('en-US')} users: ${fmt(b.seconds, 2)} s; counts ${JSON.stringify(b.counts)}`);
      const [once, twice] = [await hooks(target, 1), await hooks(target, 2)];
      for (const [label, h] of [['each event once', once], ['each event to two sidecars at once', twice]] as const) {
        say(`  hooks, ${label}: ${h.events} events in ${fmt(h.seconds, 2)} s; p50 ${fmt(h.p50)} ms, p95 ${fmt(h.p95)} ms; not 200: ${h.non200}`);
      }
      results.push({ target, bulk: b, once, twice });
    }
    const rate = (h: HookResult): string =>
      h.galera.writeSets > 0 ? `${h.galera.conflicts} / ${h.galera.writeSets} (${fmt((100 * h.galera.conflicts) / h.galera.writeSets, 1)}%)` : 'n/a';
    const perSecond = (h: HookResult): string => `${fmt(h.events / h.seconds, 0)} (p95 ${fmt(h.p95, 0)} ms)`;
    say(
      '\n| database | bulk sync (s) | users/s | replicated per chunk (KB) | hooks once: events/s | certification conflicts / write sets | hooks twice: events/s | certification conflicts / write sets | not 200 |',
    );
    say('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const { target, bulk: b, once, twice } of results) {
      say(
        `| ${target.label} | ${fmt(b.seconds, 2)} | ${fmt(USERS / b.seconds, 0)} | ${b.galera.writeSets > 0 ? fmt(b.galera.bytes / b.chunks / 1024, 0) : 'n/a'} | ` +
          `${perSecond(once)} | ${rate(once)} | ${perSecond(twice)} | ${rate(twice)} | ${once.non200 + twice.non200} |`,
      );
    }
    const [one, three] = results;
    const speed = (h: HookResult) => h.events / h.seconds;
    say(
      `\nGalera/one server: bulk sync ${fmt(three.bulk.seconds / one.bulk.seconds, 2)}× the time; hooks ${fmt(speed(three.once) / speed(one.once), 2)}× the throughput (once), ` +
        `${fmt(speed(three.twice) / speed(one.twice), 2)}× (twice)`,
    );
    say(`bulk chunks: ${three.bulk.chunks} of at most ${process.env.SYNC_CHUNK_SIZE ?? 2500} users; replicated per chunk = the run's replicated bytes / its chunks (the chunks carry nearly all of them)`);
  } finally {
    await cluster?.stop();
    await single?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
