/**
 * npm run bench — the bulk sync on generated sites of 10k, 100k and 1M users (BENCH_SIZES to
 * change), against a floor and a per-user baseline measured in the same run. Prints numbers
 * and ratios; asserts nothing (a benchmark is not a test).
 *
 *   bulk      `contact-bridge sync` in a child process (time from its run record; peak RSS)
 *             with the sidecar's default SYNC_CHUNK_SIZE unless the variable is set
 *   floor     the same final contacts/emails/links by three plain INSERT … SELECT statements
 *   baseline  reconcileUser for each user of a 20k sample in id order (how CiviCRM works)
 *   re-run    the sync again on the synced database
 *   health    `contact-bridge health` on the synced database (every finding streamed to a pipe),
 *             against one plain SELECT COUNT(*) over the same joins (users, their links, the
 *             linked contacts and their primary emails) in the same run
 *
 * BENCH_HEALTH_ONLY=1 measures the health check alone (each copy is synced once first, untimed).
 *
 * Each size is measured BENCH_REPEAT times (default 3) on fresh copies, floor and bulk
 * interleaved (each timed step alone on the server), and the medians are printed: on a shared
 * 2-core VM one timing of the same statements varies by ±30%.
 *
 * Uses MYSQL_URL's server when given (databases bench_* are created and dropped), else a
 * private MariaDB (innodb_buffer_pool_size BENCH_BUFFER_POOL, default 2G; redo log BENCH_REDO_LOG,
 * default 2G, so that no timed step stalls on a checkpoint; durability relaxed).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { createRepositories } from '../sidecar/src/data-access/repositories';
import { conventionsFrom } from '../sidecar/src/domain/conventions';
import { reconcileUser } from '../sidecar/src/domain/reconcile-users';
import { databaseOf } from '../sidecar/src/lib/transaction';
import { silentLogger } from '../sidecar/src/lib/logger';
import { startPrivateMariaDb, type PrivateMariaDb } from '../tools/private-mariadb';
import { createBenchDatabase, generateBenchData, runFloor } from './bench-data';

const PREFIX = 'wp_';
const SIZES = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const BASELINE_SAMPLE = Number(process.env.BENCH_BASELINE_SAMPLE ?? 20000);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const HEALTH_ONLY = process.env.BENCH_HEALTH_ONLY === '1';
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const childScript = path.resolve(__dirname, 'sync-child.js');

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function dropDatabase(baseUrl: string, name: string, pool: Pool): Promise<void> {
  await pool.end();
  const admin = await mysql.createConnection(baseUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await admin.end();
  }
}

async function seconds<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - started) / 1e9, value];
}

interface ChildResult {
  runSeconds: number;
  wallSeconds: number;
  maxRssMb: number;
  counts: Record<string, number>;
}

/** Runs a CLI command in a child; its own timing, peak RSS and exit code. */
async function commandInChild(url: string, args: string[], okCodes: number[]): Promise<{ seconds: number; maxRssKb: number; code: number; output: string }> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, ...args], {
      env: { ...process.env, MYSQL_URL: url, BRIDGE_SECRET: SECRET, WP_TABLE_PREFIX: PREFIX, SYNC_CRON: '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (okCodes.includes(code ?? -1) ? resolve(text) : reject(new Error(`${args.join(' ')} child exited with ${code}:\n${text.slice(-4000)}`))));
  });
  const line = output.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`no BENCH_RESULT from the ${args.join(' ')} child:\n${output.slice(-4000)}`);
  return { ...(JSON.parse(line.slice('BENCH_RESULT '.length)) as { seconds: number; maxRssKb: number; code: number }), output };
}

async function syncInChild(url: string, pool: Pool): Promise<ChildResult> {
  const started = process.hrtime.bigint();
  const { maxRssKb } = await commandInChild(url, ['sync'], [0]);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [[run]] = await pool.query<RowDataPacket[]>(
    `SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1e6 AS s, checked, already_linked, matched, created,
            updated, unlinked, skipped, conflicts, errors
       FROM contact_bridge_sync_run ORDER BY id DESC LIMIT 1`,
  );
  const { s, ...counts } = run;
  return { runSeconds: Number(s), wallSeconds, maxRssMb: maxRssKb / 1024, counts: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])) };
}

async function perUserBaseline(baseUrl: string): Promise<number> {
  const name = 'bench_baseline';
  const db = await createBenchDatabase(baseUrl, PREFIX, name);
  try {
    await generateBenchData(db.pool, PREFIX, BASELINE_SAMPLE);
    const repos = createRepositories({ wpUsersTable: `${PREFIX}users`, wpUsermetaTable: `${PREFIX}usermeta`, wpTablePrefix: PREFIX });
    const database = databaseOf(db.pool);
    const deps = {
      db: database,
      store: repos.engine,
      rules: { domainId: 1, contactType: 'Individual' as const, syncNames: true, onUserDelete: 'keep' as const, trashMatched: false, memberBlogs: null },
      conventions: conventionsFrom((runner) => repos.engine.loadConventions(runner), database),
      logger: silentLogger,
    };
    await settle(baseUrl);
    const [s] = await seconds(async () => {
      for (let id = 1; id <= BASELINE_SAMPLE; id++) await reconcileUser(deps, id, 'sync');
    });
    return BASELINE_SAMPLE / s;
  } finally {
    await dropDatabase(baseUrl, name, db.pool);
  }
}

/**
 * Lets the server write out the dirty pages and purge the old row versions left by the previous
 * step before a timed one, so that no measurement pays for another's writes. Needs SUPER (or BINLOG ADMIN) for SET GLOBAL;
 * without it the step is skipped and the figures are noisier.
 */
async function settle(baseUrl: string): Promise<void> {
  const admin = await mysql.createConnection(baseUrl);
  try {
    const [[saved]] = await admin.query<RowDataPacket[]>(
      `SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS io_max`,
    );
    try {
      await admin.query(`SET GLOBAL innodb_io_capacity_max = 40000`);
      await admin.query(`SET GLOBAL innodb_io_capacity = 20000`);
      await admin.query(`SET GLOBAL innodb_max_dirty_pages_pct = 0`);
    } catch {
      return;
    }
    try {
      // Until (almost) nothing is dirty and the purge of old row versions is done, or the dirty
      // count stops falling (background work keeps a few hundred pages dirty), for at most a
      // minute.
      const deadline = Date.now() + 60_000;
      let last = Infinity;
      let still = 0;
      while (Date.now() < deadline) {
        const [status] = await admin.query<RowDataPacket[]>(
          `SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_history_list_length')`,
        );
        const value = (name: string) => Number(status.find((r) => r.Variable_name === name)?.Value ?? 0);
        const n = value('Innodb_buffer_pool_pages_dirty');
        if (value('Innodb_history_list_length') > 1000) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          continue;
        }
        if (n < 64) break;
        still = n >= last ? still + 1 : 0;
        if (still >= 8) break;
        last = Math.min(last, n);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await admin.query(`SET GLOBAL innodb_max_dirty_pages_pct = ?`, [Number(saved.pct)]);
      await admin.query(`SET GLOBAL innodb_io_capacity = ?`, [Number(saved.io)]);
      await admin.query(`SET GLOBAL innodb_io_capacity_max = ?`, [Number(saved.io_max)]);
    }
  } finally {
    await admin.end();
  }
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

interface Measurement {
  floor: number;
  first: number;
  again: number;
  third: number;
  peakRssMb: number;
  healthSeconds: number;
  countSeconds: number;
  healthRssMb: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Pages InnoDB has had to read from disk so far (Innodb_buffer_pool_reads): a timed step's misses are the difference. */
async function bufferPoolReads(baseUrl: string): Promise<number> {
  const admin = await mysql.createConnection(baseUrl);
  try {
    const [rows] = await admin.query<RowDataPacket[]>(`SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'`);
    return Number(rows[0]?.Value ?? 0);
  } finally {
    await admin.end();
  }
}

/** A timed sync in the child, with the buffer-pool misses it caused. */
/** The joins the health check reads, without its filters: one row per user, its oldest link's contact and primary emails. */
const SAME_JOINS_COUNT = `SELECT COUNT(*) AS n FROM ${PREFIX}users u
  LEFT JOIN civicrm_uf_match m ON m.uf_id = u.ID AND m.domain_id = 1
  LEFT JOIN civicrm_contact c ON c.id = m.contact_id
  LEFT JOIN civicrm_email pe ON pe.contact_id = m.contact_id AND pe.is_primary = 1`;

async function syncMeasured(baseUrl: string, url: string, pool: Pool): Promise<ChildResult & { misses: number }> {
  const before = await bufferPoolReads(baseUrl);
  const result = await syncInChild(url, pool);
  return { ...result, misses: (await bufferPoolReads(baseUrl)) - before };
}

/**
 * Two fresh copies of a generated site, one after the other: the floor on the first, then (that
 * copy dropped) the bulk sync three times on the second. Each timed step has the server to
 * itself, as a site's database would: the floor's 1.4 GB copy left in place took buffer pool
 * from the bulk runs (at 1M users, the two copies exceed the 2 GB pool).
 */
/** A synced copy, then the health check and COUNT(*) alone (BENCH_HEALTH_ONLY). */
async function measureHealthOnce(baseUrl: string, size: number): Promise<Measurement> {
  const db = await createBenchDatabase(baseUrl, PREFIX, `bench_${size}`);
  try {
    await generateBenchData(db.pool, PREFIX, size);
    await syncInChild(db.url, db.pool);
    const health = await measureHealth(baseUrl, db);
    return { floor: NaN, first: NaN, again: NaN, third: NaN, peakRssMb: NaN, ...health };
  } finally {
    await dropDatabase(baseUrl, `bench_${size}`, db.pool);
  }
}

async function measureHealth(baseUrl: string, db: { url: string; pool: Pool }): Promise<Pick<Measurement, 'healthSeconds' | 'countSeconds' | 'healthRssMb'>> {
  await settle(baseUrl);
  const [countSeconds] = await seconds(() => db.pool.query(SAME_JOINS_COUNT));
  await settle(baseUrl);
  const health = await commandInChild(db.url, ['health', '--json'], [0, 1]);
  const report = JSON.parse(health.output.slice(0, health.output.indexOf('BENCH_RESULT ')).trim()) as { counts: Record<string, number> };
  say(
    `  health check: ${fmt(health.seconds, 2)} s (the whole CLI command), peak RSS ${fmt(health.maxRssKb / 1024)} MB; ` +
      `COUNT(*) over the same joins ${fmt(countSeconds, 2)} s; health/count ${fmt(health.seconds / countSeconds, 2)}; counts ${JSON.stringify(report.counts)}`,
  );
  return { healthSeconds: health.seconds, countSeconds, healthRssMb: health.maxRssKb / 1024 };
}

async function measureOnce(baseUrl: string, size: number): Promise<Measurement> {
  const floorDb = await createBenchDatabase(baseUrl, PREFIX, `bench_${size}_floor`);
  let floor: number;
  try {
    const [genSeconds] = await seconds(() => generateBenchData(floorDb.pool, PREFIX, size));
    say(`  generated in ${fmt(genSeconds)} s per copy`);
    await settle(baseUrl);
    [floor] = await seconds(() => runFloor(floorDb.pool, PREFIX));
    say(`  floor (3 × INSERT … SELECT): ${fmt(floor, 2)} s`);
  } finally {
    await dropDatabase(baseUrl, `bench_${size}_floor`, floorDb.pool);
  }
  const bulkDb = await createBenchDatabase(baseUrl, PREFIX, `bench_${size}`);
  try {
    await generateBenchData(bulkDb.pool, PREFIX, size);
    await settle(baseUrl);
    const first = await syncMeasured(baseUrl, bulkDb.url, bulkDb.pool);
    say(
      `  bulk sync: ${fmt(first.runSeconds, 2)} s (process wall ${fmt(first.wallSeconds, 2)} s), peak RSS ${fmt(first.maxRssMb)} MB; ` +
        `bulk/floor ${fmt(first.runSeconds / floor, 2)}; pages read from disk ${first.misses}`,
    );
    say(`  counts: ${JSON.stringify(first.counts)}`);
    await settle(baseUrl);
    const again = await syncMeasured(baseUrl, bulkDb.url, bulkDb.pool);
    say(`  re-run: ${fmt(again.runSeconds, 2)} s, peak RSS ${fmt(again.maxRssMb)} MB; pages read from disk ${again.misses}; counts ${JSON.stringify(again.counts)}`);
    // A third run: the steady state of the schedule.
    await settle(baseUrl);
    const third = await syncMeasured(baseUrl, bulkDb.url, bulkDb.pool);
    say(`  third run: ${fmt(third.runSeconds, 2)} s, peak RSS ${fmt(third.maxRssMb)} MB; pages read from disk ${third.misses}`);
    const health = await measureHealth(baseUrl, bulkDb);
    return {
      ...health,
      floor,
      first: first.runSeconds,
      again: again.runSeconds,
      third: third.runSeconds,
      peakRssMb: Math.max(first.maxRssMb, again.maxRssMb, third.maxRssMb),
    };
  } finally {
    await dropDatabase(baseUrl, `bench_${size}`, bulkDb.pool);
  }
}

async function main(): Promise<void> {
  let server: PrivateMariaDb | undefined;
  let dir: string | undefined;
  let baseUrl = process.env.MYSQL_URL;
  if (baseUrl) {
    const u = new URL(baseUrl);
    u.pathname = '/';
    baseUrl = u.toString();
  } else {
    dir = mkdtempSync(path.join(os.tmpdir(), 'contact-bridge-bench-'));
    server = await startPrivateMariaDb({
      baseDir: dir,
      fast: true,
      bufferPool: process.env.BENCH_BUFFER_POOL ?? '2G',
      redoLog: process.env.BENCH_REDO_LOG ?? '2G',
    });
    baseUrl = server.baseUrl;
  }
  say(`contact-bridge bulk sync benchmark — ${new Date().toISOString()}`);
  say(`machine: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, node ${process.version}; chunk ${process.env.SYNC_CHUNK_SIZE ?? 'default'} users`);
  const rowsOut: string[][] = [];
  const healthOut: string[][] = [];
  try {
    say(`per-user baseline: reconcileUser for each of ${BASELINE_SAMPLE} users in id order …`);
    const baselineRate = HEALTH_ONLY ? NaN : await perUserBaseline(baseUrl);
    say(`  ${fmt(baselineRate, 0)} users/s`);

    for (const size of SIZES) {
      const reps: Measurement[] = [];
      for (let rep = 1; rep <= REPEAT; rep++) {
        say(`\n${size.toLocaleString('en-US')} users, measurement ${rep} of ${REPEAT}:`);
        reps.push(await (HEALTH_ONLY ? measureHealthOnce : measureOnce)(baseUrl, size));
      }
      const med = (f: (m: Measurement) => number) => median(reps.map(f));
      const first = med((m) => m.first);
      const rate = size / first;
      rowsOut.push([
        size.toLocaleString('en-US'),
        fmt(first, 2),
        fmt(rate, 0),
        fmt(Math.max(...reps.map((m) => m.peakRssMb)), 0),
        fmt(med((m) => m.floor), 2),
        `${fmt(med((m) => m.first / m.floor), 2)} (${reps.map((m) => fmt(m.first / m.floor, 2)).join(', ')})`,
        `${fmt(rate / baselineRate, 0)}×`,
        `${fmt(med((m) => m.again), 2)} (${fmt(med((m) => (100 * m.again) / m.first), 0)}%)`,
        `${fmt(med((m) => m.third), 2)} (${fmt(med((m) => (100 * m.third) / m.first), 0)}%)`,
      ]);
      healthOut.push([
        size.toLocaleString('en-US'),
        fmt(med((m) => m.healthSeconds), 2),
        fmt(med((m) => m.countSeconds), 2),
        `${fmt(med((m) => m.healthSeconds / m.countSeconds), 2)} (${reps.map((m) => fmt(m.healthSeconds / m.countSeconds, 2)).join(', ')})`,
        fmt(Math.max(...reps.map((m) => m.healthRssMb)), 0),
      ]);
    }
    if (!HEALTH_ONLY) {
      say(`\nMedians of ${REPEAT} interleaved measurements per size (floor, then bulk, on fresh copies); bulk/floor also per measurement.`);
      say('| users | bulk sync (s) | users/s | peak RSS (MB) | floor (s) | bulk/floor | vs per-user | re-run (s, % of first) | third run (s, % of first) |');
      say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const r of rowsOut) say(`| ${r.join(' | ')} |`);
    }
    say('\nLink health check (`contact-bridge health --json`, the whole command) on the synced site, against one SELECT COUNT(*) over the same joins:');
    say('| users | health check (s) | COUNT(*) (s) | health/count | peak RSS (MB) |');
    say('|---:|---:|---:|---:|---:|');
    for (const r of healthOut) say(`| ${r.join(' | ')} |`);
    if (!HEALTH_ONLY) say(`\nper-user baseline (reconcileUser, ${BASELINE_SAMPLE.toLocaleString('en-US')} users in id order): ${fmt(baselineRate, 0)} users/s`);
  } finally {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
