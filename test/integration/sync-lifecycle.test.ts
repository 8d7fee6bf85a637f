import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { generateBenchData } from '../../bench/bench-data';
import { syncRunStatus } from '../../sidecar/src/domain/sync/sync-status';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { testRepos } from '../support/engine';
import { TEST_SECRET, startSidecar } from '../support/sidecar';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';
import { testServer } from '../support/server';
import { CLEAN, invariants, waitUntil } from './reliability-support';

const USERS = 3000;
const CLI = path.resolve(__dirname, '../../sidecar/src/entry-points/cli/main.js');

interface RunRow {
  id: number;
  status: string;
  cursor_uf_id: number;
  checked: number;
  trigger_source: string;
}

async function runRows(db: TestDatabase): Promise<RunRow[]> {
  return rows<RunRow>(db.pool, `SELECT id, status, cursor_uf_id, checked, trigger_source FROM contact_bridge_sync_run ORDER BY id`);
}

/** Waits until the run has committed at least `chunks` chunks of `chunk` users (and is not finished). */
async function untilPartWay(db: TestDatabase, chunk: number, chunks: number): Promise<RunRow> {
  let seen: RunRow | undefined;
  await waitUntil('the run is part-way', async () => {
    [seen] = await runRows(db);
    if (seen?.status === 'completed') throw new Error('the run finished before the fault; use more users');
    return seen !== undefined && Number(seen.cursor_uf_id) >= chunk * chunks;
  }, 60_000, 5);
  return seen!;
}

describe('bulk runs survive their database and their process (real processes, real database)', () => {
  const databases: TestDatabase[] = [];
  const processes: SidecarProcess[] = [];
  async function siteWithUsers(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    await generateBenchData(db.pool, db.prefix, USERS);
    return db;
  }
  async function sidecar(db: TestDatabase, env: Record<string, string> = {}): Promise<SidecarProcess> {
    const p = await startSidecarProcess(db.url, { LOG_LEVEL: 'info', SYNC_CHUNK_SIZE: '25', ...env });
    processes.push(p);
    return p;
  }
  after(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const db of databases) await db.drop().catch(() => undefined);
  });

  it('when MariaDB is restarted in the middle of a run, then the same process goes on with the run when it is back and completes it, with no new request', async function () {
    const server = testServer().privateInstance;
    if (!server) this.skip(); // needs the harness's own MariaDB to restart
    const db = await siteWithUsers();
    const p = await sidecar(db);

    const started = await p.client.post('/v1/sync', { dry_run: false });
    const before = await untilPartWay(db, 25, 4);
    await server.restart({ downMs: 3000 });
    await waitUntil('the run completes', async () => (await runRows(db))[0]?.status === 'completed', 120_000, 200);

    const runs = await runRows(db);
    expect(started.status).to.equal(202);
    expect(runs.map((r) => [r.id, r.status, Number(r.checked)])).to.deep.equal([[started.body.id, 'completed', USERS]]);
    expect(Number(before.cursor_uf_id)).to.be.below(USERS);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    const logs = p.output().trim().split('\n').map((l) => JSON.parse(l));
    expect(logs.some((l) => /database not reachable; the chunk is tried again/.test(l.msg)), 'the outage is logged').to.equal(true);
    expect(p.child.exitCode, 'the process is still running').to.equal(null);
  });

  it('when the sidecar is killed in the middle of a run and started again, then it resumes the same run by itself and completes it, with no new request', async () => {
    const db = await siteWithUsers();
    const first = await sidecar(db);
    const started = await first.client.post('/v1/sync', { dry_run: false });
    const atKill = await untilPartWay(db, 25, 4);
    first.child.kill('SIGKILL');
    await first.exited;

    await sidecar(db);
    await waitUntil('the run completes', async () => (await runRows(db))[0]?.status === 'completed', 120_000, 200);

    const runs = await runRows(db);
    expect(runs.map((r) => [r.id, r.status, Number(r.checked)])).to.deep.equal([[started.body.id, 'completed', USERS]]);
    expect(Number(atKill.cursor_uf_id)).to.be.below(USERS);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
  });

  it('when a dry run is asked while a real run is interrupted, then it is refused with 409 and the real run\'s id, and the sidecar finishes the real run by itself', async () => {
    const db = await siteWithUsers();
    // A lease of 30 s: the sidecar looks for interrupted runs every 10 s (and once at its start,
    // before there is one), so the dry run below finds the real run interrupted, not resumed.
    const running = await startSidecar(db, { SYNC_CHUNK_SIZE: '25' }, { syncLeaseSeconds: 30 });
    try {
      // The CLI starts a run and dies part-way: the run is interrupted, its lease's owner is dead.
      const cli = spawn(process.execPath, [CLI, 'sync'], {
        env: { ...process.env, MYSQL_URL: db.url, BRIDGE_SECRET: TEST_SECRET, WP_TABLE_PREFIX: db.prefix, SYNC_CHUNK_SIZE: '25', LOG_LEVEL: 'silent' },
        stdio: 'ignore',
      });
      const cliExit = new Promise((resolve) => cli.once('exit', resolve));
      const interrupted = await untilPartWay(db, 25, 2);
      cli.kill('SIGKILL');
      await cliExit;

      const dry = await running.client.post('/v1/sync', { dry_run: true });
      await waitUntil('the real run completes', async () => (await runRows(db))[0]?.status === 'completed', 120_000, 200);

      expect(dry.status).to.equal(409);
      expect(dry.body.id).to.equal(interrupted.id);
      const runs = await runRows(db);
      expect(runs.map((r) => [r.id, r.status, Number(r.checked)])).to.deep.equal([[interrupted.id, 'completed', USERS]]);
      expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    } finally {
      await running.stop();
    }
  });

  it('when a run is marked running and its lease holder is gone, then its status reads "interrupted", never "running"', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const repos = testRepos();
    const database = databaseOf(db.pool);
    const id = await repos.runs.create(database, { domainId: 1, dryRun: false, trigger: 'test', owner: 'elsewhere#1#gone', total: 10 });
    const unowned = await syncRunStatus({ db: database, runs: repos.runs, leases: repos.leases }, 1, id);
    await repos.leases.acquire(database, 'sync:domain:1', 'elsewhere#1#gone', 60);
    const owned = await syncRunStatus({ db: database, runs: repos.runs, leases: repos.leases }, 1, id);

    expect(unowned?.status).to.equal('interrupted');
    expect(owned?.status).to.equal('running');
  });

  it('when the sidecar has run several syncs and gets SIGTERM, then it exits cleanly (code 0)', async () => {
    const db = await siteWithUsers();
    const p = await sidecar(db, { SYNC_CHUNK_SIZE: '500' });
    for (let i = 0; i < 3; i++) {
      const started = await p.client.post('/v1/sync', { dry_run: i === 1 });
      expect(started.status).to.equal(202);
      await waitUntil('the run ends', async () => (await p.client.get(`/v1/sync/${started.body.id}`)).body.status === 'completed', 60_000, 100);
    }

    p.child.kill('SIGTERM');

    expect(await p.exited).to.deep.equal({ code: 0, signal: null });
  });

  it('when the database hangs (its server stopped) and the sidecar gets SIGTERM, then it exits anyway; a second SIGTERM exits at once', async function () {
    const server = testServer().privateInstance;
    if (!server) this.skip(); // needs the harness's own MariaDB to pause
    const db = await siteWithUsers();
    const patient = await sidecar(db);
    const impatient = await sidecar(db);
    expect((await patient.client.get('/v1/ping')).status).to.equal(200);
    process.kill(server.pid, 'SIGSTOP');
    try {
      // A request now waits on the hung database, holding a pool connection.
      void patient.client.post('/v1/events', { event: 'wp_login', user_id: 1 }).catch(() => undefined);
      void impatient.client.post('/v1/events', { event: 'wp_login', user_id: 2 }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      patient.child.kill('SIGTERM');
      impatient.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      impatient.child.kill('SIGTERM');
      const [a, b] = await Promise.all([patient.exited, impatient.exited]);

      expect(a.signal, 'the first exited by itself').to.equal(null);
      expect(b).to.deep.equal({ code: 1, signal: null });
      const logs = impatient.output().trim().split('\n').map((l) => JSON.parse(l));
      expect(logs.some((l) => /second signal while stopping/.test(l.msg))).to.equal(true);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
  });
});
