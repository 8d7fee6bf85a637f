/**
 * `npm run load`: sends signed events at a fixed rate for a fixed time on loopback and prints
 * throughput and latency (p50/p95/p99). Not a test: it prints figures and asserts nothing.
 *
 * Without LOAD_URL or MYSQL_URL it starts a private MariaDB in .run/load-mariadb and the real
 * sidecar process (`node dist/sidecar/src/main.js`); with MYSQL_URL it creates (and drops) its
 * own database on that server; with LOAD_URL (+ LOAD_SECRET) it only sends, to user ids
 * 1..LOAD_USERS of that sidecar's site.
 *
 *   LOAD_PHASES   rate:seconds list, default "300:10,1000:10"
 *   LOAD_NEW      share of events for users never seen (0..1), default 0.5
 *   LOAD_CONCURRENCY  requests in flight at most, default 64
 *   LOAD_KNOWN    users reconciled before the run (the "known" ones), default 2000
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { Pool } from 'undici';
import { sign } from '../sidecar/src/entry-points/http/signature';
import { wordpressUsersDdl } from './wordpress-schema';
import { freePort, startPrivateMariaDb, type PrivateMariaDb } from './private-mariadb';

const ROOT = path.resolve(__dirname, '..', '..');

interface Phase {
  rate: number;
  seconds: number;
}

function phasesFrom(spec: string): Phase[] {
  return spec.split(',').map((part) => {
    const [rate, seconds] = part.split(':').map(Number);
    if (!(rate > 0 && rate <= 20_000 && seconds > 0 && seconds <= 600)) {
      throw new Error(`LOAD_PHASES: "${part}" is not rate:seconds (rate 1..20000 events/s, 1..600 s)`);
    }
    return { rate, seconds };
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Signs and sends events over `connections` keep-alive connections (undici's Pool: the
 * lightest client at hand, so that the generator, which shares the machine's cores with the
 * sidecar and the database, takes as little of them as it can).
 */
class Sender {
  private readonly pool: Pool;
  constructor(
    url: URL,
    private readonly secret: string,
    connections: number,
  ) {
    this.pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  /** Sends one event; resolves with the status (0 on a network error). */
  async send(userId: number, event = 'user_register'): Promise<number> {
    const body = JSON.stringify({ event, user_id: userId });
    const ts = String(Math.floor(Date.now() / 1000));
    try {
      const res = await this.pool.request({
        path: '/v1/events',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-bridge-timestamp': ts,
          'x-bridge-signature': sign(this.secret, { timestamp: ts, method: 'POST', path: '/v1/events', rawBody: body }),
        },
        body,
      });
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 0;
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

interface PhaseResult {
  target: number;
  seconds: number;
  sent: number;
  ok: number;
  failed: number;
  behind: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Open loop: every 5 ms, start the events that the schedule says are due, unless
 * `concurrency` are already in flight (then the event is counted as "behind" and not sent).
 */
async function runPhase(sender: Sender, phase: Phase, concurrency: number, nextUser: () => { id: number; event: string }): Promise<PhaseResult> {
  const latencies: number[] = [];
  let inFlight = 0;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let behind = 0;
  const due = phase.rate * phase.seconds;
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  let scheduled = 0;
  while (scheduled < due) {
    const elapsed = (performance.now() - started) / 1000;
    const shouldHave = Math.min(due, Math.floor(elapsed * phase.rate));
    while (scheduled < shouldHave) {
      scheduled++;
      if (inFlight >= concurrency) {
        behind++;
        continue;
      }
      inFlight++;
      sent++;
      const { id, event } = nextUser();
      const t0 = performance.now();
      const p = sender.send(id, event).then((status) => {
        latencies.push(performance.now() - t0);
        inFlight--;
        if (status === 200) ok++;
        else failed++;
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await sleep(5);
  }
  await Promise.all(pending);
  const wall = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    target: phase.rate,
    seconds: phase.seconds,
    sent,
    ok,
    failed,
    behind,
    throughput: ok / wall,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
  };
}

async function seedUsers(conn: mysql.Connection, count: number, knownContacts: number): Promise<void> {
  await conn.query("SET SESSION sql_mode = ''");
  for (const ddl of wordpressUsersDdl('wp_')) await conn.query(ddl);
  const batch = 1000;
  for (let start = 1; start <= count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start + 1) }, (_, i) => start + i);
    await conn.query(
      `INSERT INTO wp_users (ID, user_login, user_nicename, user_email, user_registered, display_name) VALUES ${ids.map(() => '(?, ?, ?, ?, NOW(), ?)').join(',')}`,
      ids.flatMap((id) => [id, `load${id}`, `load${id}`, `load.${id}@example.org`, `load${id}`]),
    );
    await conn.query(
      `INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES ${ids.map(() => '(?, ?, ?), (?, ?, ?)').join(',')}`,
      ids.flatMap((id) => [id, 'first_name', `First${id}`, id, 'last_name', id % 3 === 0 ? '' : `Last${id}`]),
    );
  }
  // Every fourth user has a contact in the CRM already (matched, not created, on first sight).
  for (let start = 1; start <= knownContacts; start += batch) {
    const ids = Array.from({ length: Math.min(batch, knownContacts - start + 1) }, (_, i) => start + i).filter((id) => id % 4 === 0);
    if (ids.length === 0) continue;
    const [r] = await conn.query<mysql.ResultSetHeader>(
      `INSERT INTO civicrm_contact (contact_type, first_name, display_name, sort_name) VALUES ${ids.map(() => "('Individual', ?, ?, ?)").join(',')}`,
      ids.flatMap((id) => [`Crm${id}`, `Crm${id}`, `Crm${id}`]),
    );
    await conn.query(
      `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES ${ids.map(() => '(?, 1, ?, 1)').join(',')}`,
      ids.flatMap((id, i) => [r.insertId + i, `load.${id}@example.org`]),
    );
  }
}

async function waitReady(url: string, child: ChildProcess | null, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child && child.exitCode !== null) throw new Error(`sidecar exited while starting:\n${output()}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not yet listening
    }
    await sleep(100);
  }
  throw new Error(`sidecar not ready:\n${output()}`);
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

async function main(): Promise<void> {
  const phases = phasesFrom(process.env.LOAD_PHASES ?? '300:10,1000:10');
  const newShare = Math.min(1, Math.max(0, Number(process.env.LOAD_NEW ?? 0.5)));
  const concurrency = Math.max(1, Number(process.env.LOAD_CONCURRENCY ?? 64));
  const known = Math.max(1, Number(process.env.LOAD_KNOWN ?? 2000));
  const warmup = Number(process.env.LOAD_WARMUP ?? 10);
  if (!(Number.isInteger(warmup) && warmup >= 0 && warmup <= 600)) throw new Error('LOAD_WARMUP: seconds, 0..600');
  const totalEvents = phases.reduce((n, p) => n + p.rate * p.seconds, warmup * phases[0].rate);
  const users = known + Math.ceil(totalEvents * newShare) + 10;

  let db: PrivateMariaDb | undefined;
  let child: ChildProcess | undefined;
  let output = '';
  let dropDatabase: (() => Promise<void>) | undefined;
  let dbUrl: string | undefined;
  let url = process.env.LOAD_URL;
  let secret = process.env.LOAD_SECRET ?? process.env.BRIDGE_SECRET ?? '';

  try {
    if (url) {
      if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(url)) throw new Error('LOAD_URL must be a loopback http URL (http://127.0.0.1:PORT)');
      if (secret.length < 32) throw new Error('LOAD_URL needs LOAD_SECRET (the sidecar\'s BRIDGE_SECRET)');
      console.log(`Sending to ${url}; events for user ids 1..${users} of that site (no seeding).`);
    } else {
      let serverUrl = process.env.MYSQL_URL;
      if (!serverUrl) {
        const baseDir = path.resolve(process.env.LOAD_DB_DIR || path.join(ROOT, '.run', 'load-mariadb'));
        const commit = Number(process.env.LOAD_DB_COMMIT ?? 2);
        if (commit !== 0 && commit !== 1 && commit !== 2) throw new Error('LOAD_DB_COMMIT: 0, 1 or 2 (innodb_flush_log_at_trx_commit)');
        mkdirSync(baseDir, { recursive: true });
        console.log(`Starting a private MariaDB in ${path.relative(ROOT, baseDir) || baseDir} (innodb_flush_log_at_trx_commit=${commit}) ...`);
        db = await startPrivateMariaDb({ baseDir, fast: true, bufferPool: '512M', flushLogAtTrxCommit: commit });
        serverUrl = db.baseUrl;
      }
      const name = `cbload_${randomBytes(4).toString('hex')}`;
      const admin = await mysql.createConnection({ uri: serverUrl });
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await admin.end();
      const u = new URL(serverUrl);
      u.pathname = `/${name}`;
      dbUrl = u.toString();
      dropDatabase = async () => {
        const c = await mysql.createConnection({ uri: serverUrl });
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await c.end();
      };

      secret = randomBytes(24).toString('hex');
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      // The real process, as `npm start` runs it; its migrations create the CRM tables.
      child = spawn(process.execPath, [path.join(ROOT, 'dist/sidecar/src/main.js')], {
        env: { PATH: process.env.PATH ?? '', MYSQL_URL: dbUrl, BRIDGE_SECRET: secret, PORT: String(port), SYNC_CRON: '', LOG_LEVEL: 'warn', MYSQL_POOL_SIZE: process.env.MYSQL_POOL_SIZE ?? '10' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
      child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
      await waitReady(url, child, () => output);
      const conn = await mysql.createConnection({ uri: dbUrl });
      console.log(`Seeding ${users} WordPress users (every fourth of the first ${known} has a CRM contact already) ...`);
      await seedUsers(conn, users, known);
      await conn.end();
    }

    const sender = new Sender(new URL(url), secret, concurrency);
    // Warm-up, which also makes the "known" users: each reconciled once before the run.
    console.log(`Warm-up: reconciling ${known} users (they are the "known" users of the run) ...`);
    for (let start = 1; start <= known; start += 256) {
      await Promise.all(Array.from({ length: Math.min(256, known - start + 1) }, (_, i) => sender.send(start + i)));
    }

    let nextNew = known + 1;
    let seq = 0;
    const pick = (): { id: number; event: string } => {
      seq++;
      // A deterministic interleave with the requested share of new users.
      const isNew = Math.floor(seq * newShare) !== Math.floor((seq - 1) * newShare);
      if (isNew && nextNew <= users) return { id: nextNew++, event: 'user_register' };
      return { id: 1 + ((seq * 7919) % known), event: seq % 2 ? 'wp_login' : 'profile_update' };
    };

    let warm: PhaseResult | undefined;
    if (warmup > 0) {
      console.log(`Warm-up (not counted): ${phases[0].rate} events/s for ${warmup} s ...`);
      warm = await runPhase(sender, { rate: phases[0].rate, seconds: warmup }, concurrency, pick);
    }
    const results: PhaseResult[] = [];
    for (const phase of phases) {
      console.log(`Phase: ${phase.rate} events/s for ${phase.seconds} s (${Math.round(newShare * 100)} % new users, ${concurrency} in flight at most) ...`);
      results.push(await runPhase(sender, phase, concurrency, pick));
    }
    await sender.close();

    console.log('\n target/s | seconds |   sent |     ok | failed | behind | achieved/s | p50 ms | p95 ms | p99 ms | max ms');
    for (const r of warm ? [warm, ...results] : results) {
      console.log(
        `${r === warm ? 'w' : ' '}${String(r.target).padStart(8)} | ${String(r.seconds).padStart(7)} | ${String(r.sent).padStart(6)} | ${String(r.ok).padStart(6)} | ${String(r.failed).padStart(6)} | ${String(r.behind).padStart(6)} | ${fmt(r.throughput).padStart(10)} | ${fmt(r.p50, 2).padStart(6)} | ${fmt(r.p95, 2).padStart(6)} | ${fmt(r.p99, 2).padStart(6)} | ${fmt(r.max, 1).padStart(6)}`,
      );
    }
    console.log('("behind": events the schedule called for while the in-flight cap was reached; not sent.)');
    if (warm) console.log('(w: the warm-up, not counted: a fresh process before its code is optimised.)');

    if (dbUrl) {
      const conn = await mysql.createConnection({ uri: dbUrl });
      const q = async (sql: string): Promise<number> => Number(((await conn.query<mysql.RowDataPacket[]>(sql))[0][0] as { n: number }).n);
      const reconciledUsers = await q('SELECT COUNT(DISTINCT uf_id) AS n FROM contact_bridge_audit');
      const linked = await q('SELECT COUNT(*) AS n FROM civicrm_uf_match');
      const lost = await q('SELECT COUNT(*) AS n FROM contact_bridge_user_state s WHERE NOT EXISTS (SELECT 1 FROM civicrm_uf_match m WHERE m.uf_id = s.uf_id)');
      const dupLinks = await q('SELECT COUNT(*) AS n FROM (SELECT uf_id FROM civicrm_uf_match GROUP BY uf_id, domain_id HAVING COUNT(*) > 1) t');
      const dupContacts = await q(
        `SELECT COUNT(*) AS n FROM (SELECT e.email FROM civicrm_email e GROUP BY BINARY e.email HAVING COUNT(*) > 1) t`,
      );
      const orphans = await q(
        `SELECT COUNT(*) AS n FROM civicrm_contact c WHERE c.source = 'WordPress user' AND NOT EXISTS (SELECT 1 FROM civicrm_uf_match m WHERE m.contact_id = c.id)`,
      );
      const audit = await q('SELECT COUNT(*) AS n FROM contact_bridge_audit');
      await conn.end();
      console.log(
        `\nCheck: ${audit} events recorded for ${reconciledUsers} users; ${linked} links; lost (reconciled but not linked) = ${lost}; ` +
          `users with two links = ${dupLinks}; addresses on two contacts (duplicates) = ${dupContacts}; contacts without link = ${orphans}.`,
      );
    }
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    if (dropDatabase && process.env.LOAD_KEEP !== '1') await dropDatabase().catch(() => undefined);
    await db?.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
