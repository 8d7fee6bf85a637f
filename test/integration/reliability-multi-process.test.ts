/**
 * Two and three real sidecar processes (`node dist/sidecar/src/main.js`) on one database,
 * receiving the same event stream (every event delivered to several of them at once, as
 * replicas behind a balancer that retries would), end exactly as one process receiving the
 * stream once, in order. With the bulk sync present: a sync on one of them while the events
 * arrive changes nothing in that, and the scheduled run happens on one process per tick.
 */
import { expect } from 'chai';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';
import {
  buildScenario,
  canonicalCrmState,
  CLEAN,
  hasSyncRoutes,
  invariants,
  mutateUsers,
  post200,
  runSyncToEnd,
  seedScenario,
  shuffled,
  sleep,
  stopAll,
  withLimit,
  type Scenario,
} from './reliability-support';

const scenario: Scenario = buildScenario(90, 1, 'multi');

describe('reliability: several sidecar processes on one database', () => {
  let reference: Awaited<ReturnType<typeof canonicalCrmState>>;
  let syncPresent = false;
  const started: SidecarProcess[] = [];
  const databases: TestDatabase[] = [];

  async function freshDatabase(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    await seedScenario(db, scenario);
    return db;
  }

  async function processes(db: TestDatabase, n: number, env: Record<string, string> = {}): Promise<SidecarProcess[]> {
    const list = await Promise.all(Array.from({ length: n }, () => startSidecarProcess(db.url, { LOG_LEVEL: 'warn', ...env })));
    started.push(...list);
    return list;
  }

  before(async () => {
    // The reference: one process, every event once, in order; then a bulk sync when there is one.
    const db = await freshDatabase();
    const [one] = await processes(db, 1);
    for (const u of scenario.users) await post200(one.client, { event: 'user_register', user_id: u.id });
    for (const e of await mutateUsers(db, scenario)) await post200(one.client, e);
    syncPresent = await hasSyncRoutes(one.client);
    if (syncPresent) expect((await runSyncToEnd(one.client)).status).to.equal('completed');
    reference = await canonicalCrmState(db.pool);
    expect(await stopAll([one])).to.deep.equal([0]);
  });

  after(async () => {
    await stopAll(started);
    for (const db of databases) await db.drop();
  });

  for (const n of [2, 3]) {
    it(`when ${n} processes receive the same stream (each event to several at once), plus a bulk sync on one, then the end state equals one process's`, async function () {
      const db = await freshDatabase();
      const replicas = await processes(db, n);

      // Registrations: each event reaches every replica at the same moment; events in order
      // (which user of a shared address registered first decides who gets it).
      for (const u of scenario.users) {
        await Promise.all(replicas.map((r) => post200(r.client, { event: 'user_register', user_id: u.id })));
      }
      // Then changes, deletions and logins in a shuffled order, each delivered to two replicas
      // at once, 16 in flight, while a bulk sync runs on the first replica.
      const events = shuffled(await mutateUsers(db, scenario), 1000 + n);
      const sync = syncPresent ? runSyncToEnd(replicas[0].client) : Promise.resolve(null);
      await withLimit(
        16,
        events.map((e, i) => () => Promise.all([post200(replicas[i % n].client, e), post200(replicas[(i + 1) % n].client, e)]).then(() => undefined)),
      );
      const run = await sync;

      if (run) expect(run.status, JSON.stringify(run)).to.equal('completed');
      expect(await canonicalCrmState(db.pool)).to.deep.equal(reference);
      expect(await invariants(db.pool)).to.deep.equal(CLEAN);
      for (const r of replicas) expect(r.output(), 'no error logged').to.not.match(/"level":"(error|fatal)"/);
      expect(await stopAll(replicas)).to.deep.equal(replicas.map(() => 0));
    });
  }

  it('when 3 processes have a schedule firing every 2 s, then each tick runs on one process only and runs never overlap', async function () {
    if (!syncPresent) this.skip();
    const db = await freshDatabase();
    const replicas = await processes(db, 3, { SYNC_CRON: '*/2 * * * * *' });

    await sleep(7_000);
    expect(await stopAll(replicas)).to.deep.equal([0, 0, 0]);

    const runs = await rows<{ id: number; owner: string; started_at: Date; finished_at: Date | null; status: string }>(
      db.pool,
      `SELECT id, owner, started_at, finished_at, status FROM contact_bridge_sync_run WHERE trigger_source = 'cron' ORDER BY id`,
    );
    expect(runs.length, 'scheduled runs').to.be.within(1, 5);
    const perTick = new Map<number, number>();
    for (const r of runs) {
      const tick = Math.floor(new Date(r.started_at).getTime() / 2000);
      perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
    }
    expect([...perTick.values()].every((c) => c === 1), `runs per tick: ${JSON.stringify([...perTick])}`).to.equal(true);
    for (let i = 1; i < runs.length; i++) {
      const previousEnd = runs[i - 1].finished_at;
      expect(previousEnd, `run ${runs[i - 1].id} finished`).to.not.equal(null);
      expect(new Date(runs[i].started_at).getTime()).to.be.at.least(new Date(previousEnd!).getTime());
    }
    expect(runs.filter((r) => r.status === 'completed').length).to.be.at.least(1);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
  });
});
