/**
 * A real 3-node MariaDB Galera cluster on 127.0.0.1 (tools/galera-cluster.ts), three sidecar
 * processes, one per node, each given every node (its own first): the bridge unchanged on a
 * multi-primary cluster. Events for users sharing addresses reach several sidecars at once, so
 * the same unique keys are written on several nodes at once (certification failures, retried);
 * nodes are killed mid-stream and mid-sync and come back by IST.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import mysql, { type Pool } from 'mysql2/promise';
import { startGaleraCluster, type GaleraCluster } from '../../tools/galera-cluster';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';
import {
  buildScenario,
  canonicalCrmState,
  CLEAN,
  deliverWithRetry,
  invariants,
  mutateUsers,
  post200,
  runSyncToEnd,
  seedScenario,
  shuffled,
  sleep,
  stopAll,
  waitUntil,
  withLimit,
  type HookEvent,
  type Scenario,
} from './reliability-support';

const scenario: Scenario = buildScenario(60, 1, 'galera');
const TICK_MS = 2_000;

describe('Galera: three sidecars, one per node of a 3-node MariaDB Galera cluster', function () {
  let cluster: GaleraCluster;
  let baseDir: string;
  let reference: Awaited<ReturnType<typeof canonicalCrmState>>;
  const started: SidecarProcess[] = [];
  const databases: TestDatabase[] = [];

  /** MYSQL_URL of the sidecar on node `i` (0-based): every node, that one first. */
  const urlFor = (i: number, db: TestDatabase): string => {
    const n = cluster.nodes.length;
    const hosts = Array.from({ length: n }, (_, k) => `127.0.0.1:${cluster.nodes[(i + k) % n].port}`).join(',');
    return `mysql://bridge:bridge@${hosts}/${db.name}`;
  };

  async function freshDatabase(s: Scenario = scenario): Promise<TestDatabase> {
    // Created and seeded through node 1: pre-existing contacts get the same ids in every copy.
    const db = await createTestDatabase({ baseUrl: cluster.nodes[0].baseUrl, crm: 'bridge' });
    databases.push(db);
    await seedScenario(db, s);
    return db;
  }

  async function sidecars(db: TestDatabase, env: Record<string, string> = {}, on: number[] = [0, 1, 2]): Promise<SidecarProcess[]> {
    const list = await Promise.all(on.map((i) => startSidecarProcess(urlFor(i, db), { LOG_LEVEL: 'warn', ...env })));
    started.push(...list);
    return list;
  }

  async function nodeOf(sidecar: SidecarProcess): Promise<{ node: number; nodes: number; galera: { state: string; clusterSize: number } | null }> {
    const body = (await (await fetch(`${sidecar.url}/readyz`)).json()) as { details: { database: Awaited<ReturnType<typeof nodeOf>> } };
    return body.details.database;
  }

  before(async function () {
    this.timeout(180_000);
    const parent = path.resolve(__dirname, '../../../.run');
    mkdirSync(parent, { recursive: true });
    baseDir = mkdtempSync(path.join(parent, 'galera-'));
    cluster = await startGaleraCluster({ baseDir });

    // The reference: one sidecar, every event once, in order, then a bulk sync.
    const db = await freshDatabase();
    const [one] = await sidecars(db, {}, [0]);
    for (const u of scenario.users) await post200(one.client, { event: 'user_register', user_id: u.id });
    for (const e of await mutateUsers(db, scenario)) await post200(one.client, e);
    expect((await runSyncToEnd(one.client)).status).to.equal('completed');
    reference = await canonicalCrmState(db.pool);
    expect(await stopAll([one])).to.deep.equal([0]);
  });

  after(async function () {
    this.timeout(90_000);
    await stopAll(started);
    for (const db of databases) await db.drop().catch(() => undefined);
    await cluster?.stop();
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  });

  it('when the cluster is up, then it has 3 synced nodes, ids step by 3, and each sidecar uses its own node', async () => {
    expect(await cluster.clusterSize()).to.equal(3);
    const db = databases[0];
    const [step] = await rows<{ step: number }>(db.pool, 'SELECT @@auto_increment_increment AS step');
    expect(Number(step.step)).to.equal(3);
    const [probe] = await sidecars(db, {}, [1]);
    expect(await nodeOf(probe)).to.deep.equal({ node: 1, nodes: 3, galera: { state: 'Synced', clusterSize: 3 } });
  });

  it('when a node is up but not Synced (desynced), then a sidecar that lists it first connects to the next node instead', async () => {
    const db = databases[0];
    const root = await mysql.createConnection({ socketPath: cluster.nodes[0].socketPath, user: 'root' });
    try {
      await root.query('SET GLOBAL wsrep_desync = ON');
      const [probe] = await sidecars(db, {}, [0]);
      expect(await nodeOf(probe)).to.deep.equal({ node: 2, nodes: 3, galera: { state: 'Synced', clusterSize: 3 } });
      expect(probe.output()).to.match(/"from":1,"to":2,"reason":"node is Donor\/Desynced/);
      expect(await stopAll([probe])).to.deep.equal([0]);
    } finally {
      await root.query('SET GLOBAL wsrep_desync = OFF');
      await root.end();
    }
    await cluster.waitForSize(3);
  });

  it('when three sidecars (one per node) get a shuffled stream of duplicated events, a bulk sync runs on one and the schedule fires every 2 s on all three, then no event fails, the end state equals one sidecar on one node, and each tick runs once across the cluster', async () => {
    const db = await freshDatabase();
    const replicas = await sidecars(db, { SYNC_CRON: `*/${TICK_MS / 1000} * * * * *` });
    const conflictsBefore = await certificationFailures(cluster);

    // Registrations in order, each to all three sidecars at once: three nodes write the same keys.
    for (const u of scenario.users) await Promise.all(replicas.map((r) => post200(r.client, { event: 'user_register', user_id: u.id })));
    // Then changes, deletions and logins shuffled, each to two sidecars at once, 16 in flight, while a bulk sync runs on the first.
    const events = shuffled(await mutateUsers(db, scenario), 4242);
    const sync = runSyncToEnd(replicas[0].client);
    await withLimit(
      16,
      events.map((e, i) => () => Promise.all([post200(replicas[i % 3].client, e), post200(replicas[(i + 1) % 3].client, e)]).then(() => undefined)),
    );
    const run = await sync;
    await sleep(3 * TICK_MS); // a few more ticks with nothing to do
    expect(await stopAll(replicas)).to.deep.equal([0, 0, 0]);

    expect(run.status, JSON.stringify(run)).to.equal('completed');
    expect(await canonicalCrmState(db.pool)).to.deep.equal(reference);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    for (const r of replicas) expect(r.output(), 'no error logged').to.not.match(/"level":(50|60)|"level":"(error|fatal)"/);

    const runs = await rows<{ id: number; trigger_source: string; started_at: Date; finished_at: Date | null; status: string }>(
      db.pool,
      'SELECT id, trigger_source, started_at, finished_at, status FROM contact_bridge_sync_run ORDER BY started_at, id',
    );
    const cron = runs.filter((r) => r.trigger_source === 'cron');
    expect(cron.length, 'scheduled runs').to.be.at.least(1);
    const perTick = new Map<number, number>();
    for (const r of cron) perTick.set(Math.floor(new Date(r.started_at).getTime() / TICK_MS), (perTick.get(Math.floor(new Date(r.started_at).getTime() / TICK_MS)) ?? 0) + 1);
    expect([...perTick.values()].every((c) => c === 1), `runs per tick: ${JSON.stringify([...perTick])}`).to.equal(true);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i - 1].finished_at, `run ${runs[i - 1].id} finished`).to.not.equal(null);
      expect(new Date(runs[i].started_at).getTime(), 'runs never overlap').to.be.at.least(new Date(runs[i - 1].finished_at!).getTime());
    }
    const conflicts = (await certificationFailures(cluster)) - conflictsBefore;
    process.stdout.write(`      (${scenario.users.length * 3 + events.length * 2} deliveries, ${cron.length} scheduled runs, ${conflicts} certification failures retried)\n`);
  });

  it('when the node of one sidecar is killed mid-stream and comes back, then that sidecar fails over and recovers, any event answered 503 meanwhile is delivered again, nothing is lost or doubled, and the node catches up by IST', async () => {
    const db = await freshDatabase();
    const replicas = await sidecars(db);
    const victim = cluster.nodes[1];
    expect((await nodeOf(replicas[1])).node).to.equal(1);
    const statuses: number[] = [];
    const deliver = async (to: SidecarProcess, e: HookEvent): Promise<void> => {
      const { reply, statuses: seen } = await deliverWithRetry(to.client, e, { attempts: 300, pauseMs: 100 });
      expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
      statuses.push(...seen);
    };

    const users = scenario.users;
    const third = Math.floor(users.length / 3);
    let killedAt = 0;
    let sizeTwoAfterMs = 0;
    let back: Promise<void> | undefined;
    const logBefore = statSync(victim.errorLog).size;
    for (const [k, u] of users.entries()) {
      const delivered = Promise.all(replicas.map((r) => deliver(r, { event: 'user_register', user_id: u.id })));
      if (k === third) {
        // Killed while this user's events are in flight on all three sidecars.
        killedAt = Date.now();
        await victim.kill();
        // Measured, not asserted: how long the survivors take to go on as a cluster of 2.
        void cluster.waitForSize(2).then(() => (sizeTwoAfterMs = Date.now() - killedAt));
      }
      if (k === 2 * third) {
        back = victim.start();
        back.catch(() => undefined); // awaited below
      }
      await delivered;
    }
    const failedOver = await nodeOf(replicas[1]);
    const events = shuffled(await mutateUsers(db, scenario), 77);
    await withLimit(
      8,
      events.map((e, i) => () => Promise.all([deliver(replicas[i % 3], e), deliver(replicas[(i + 1) % 3], e)]).then(() => undefined)),
    );
    await back;
    await cluster.waitForSize(3);

    expect(failedOver.node, 'the sidecar on the killed node moved to the next one in its list').to.equal(2);
    const logged = replicas.flatMap((r, i) => r.output().split('\n').filter((line) => /"level":(40|50|60)|"level":"(warn|error|fatal)"/.test(line)).map((line) => `sidecar ${i}: ${line}`));
    expect(statuses.filter((s) => s >= 500 && s !== 503), `statuses: ${statuses.join(',')}\nerrors logged:\n${logged.join('\n')}`).to.deep.equal([]);
    expect(await canonicalCrmState(db.pool)).to.deep.equal(reference);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    // The node that came back holds the same rows, caught up by IST (no full state transfer).
    const onVictim = await poolOn(victim.baseUrl, db.name);
    try {
      await waitUntil('the restarted node has every row', async () => JSON.stringify(await canonicalCrmState(onVictim)) === JSON.stringify(reference));
    } finally {
      await onVictim.end();
    }
    const log = readFileSync(victim.errorLog, 'utf8').slice(logBefore);
    expect(log).to.match(/IST completed on joiner/);
    expect(log).to.not.match(/rsync SST completed on joiner/);
    expect(await stopAll(replicas)).to.deep.equal([0, 0, 0]);
    const retried = statuses.filter((s) => s !== 200).length;
    process.stdout.write(`      (cluster of 2 after ${sizeTwoAfterMs} ms; ${retried} deliveries answered 503 or refused and delivered again)\n`);
  });

  it('when the node running a bulk sync is killed mid-run, then the run completes on another node and ends as the same run without the fault', async () => {
    const big = buildScenario(300, 1, 'galera-bulk');
    const env = { SYNC_CHUNK_SIZE: '10' };
    // The same run on a copy, nothing killed.
    const copy = await freshDatabase(big);
    const [calm] = await sidecars(copy, env, [0]);
    expect((await runSyncToEnd(calm.client)).status).to.equal('completed');
    expect(await stopAll([calm])).to.deep.equal([0]);

    const db = await freshDatabase(big);
    const [runner] = await sidecars(db, env, [2]);
    const victim = cluster.nodes[2];
    const started = await runner.client.post('/v1/sync', { dry_run: false });
    expect(started.status).to.equal(202);
    const runId = Number(started.body.id);
    const runRow = async () =>
      (await rows<{ status: string; processed: number; total: number }>(db.pool, 'SELECT status, processed, total FROM contact_bridge_sync_run WHERE id = ?', [runId]))[0];
    await waitUntil('a few chunks are committed', async () => Number((await runRow())?.processed ?? 0) >= 40, 60_000);
    const atKill = await runRow();
    await victim.kill();
    expect(atKill.status, 'the run was under way when its node died').to.equal('running');
    expect(Number(atKill.processed)).to.be.below(Number(atKill.total));
    await waitUntil('the run ends', async () => (await runRow()).status !== 'running', 90_000, 200);
    const back = victim.start();

    const run = await runRow();
    expect(run.status).to.equal('completed');
    expect(Number(run.processed)).to.equal(Number(run.total));
    expect((await nodeOf(runner)).node, 'the sidecar moved to the next node of its list').to.equal(2);
    expect(runner.output(), 'the run met the outage and went on').to.match(/database not reachable; the chunk is tried again/);
    expect(await canonicalCrmState(db.pool)).to.deep.equal(await canonicalCrmState(copy.pool));
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    // A second run finds the fixed point: nothing to create, match or update.
    const again = await runSyncToEnd(runner.client);
    expect(again.status).to.equal('completed');
    expect(again.counts).to.include({ created: 0, matched: 0, updated: 0, errors: 0 });
    await back;
    await cluster.waitForSize(3);
    expect(await stopAll([runner])).to.deep.equal([0]);
  });
});

async function poolOn(baseUrl: string, database: string): Promise<Pool> {
  return mysql.createPool({ uri: `${baseUrl}${database}`, connectionLimit: 2 });
}

/** Local certification failures (wsrep_local_cert_failures) and brute-force aborts, summed over the running nodes. */
async function certificationFailures(cluster: GaleraCluster): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes.filter((n) => n.running)) {
    const conn = await mysql.createConnection({ socketPath: node.socketPath, user: 'root' });
    try {
      const [result] = await conn.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')");
      for (const r of result as Array<{ Value: string }>) total += Number(r.Value);
    } finally {
      await conn.end();
    }
  }
  return total;
}
