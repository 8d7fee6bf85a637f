import { expect } from 'chai';
import { createRepositories } from '../../sidecar/src/data-access/repositories';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-user';
import { syncAllUsers, type SyncDeps } from '../../sidecar/src/domain/sync-all-users';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { count, insertContact, insertUser, linksOf } from '../support/fixtures';
import { createSyncRunner } from '../../sidecar/src/entry-points/jobs/sync-runner';
import { startSyncSchedule } from '../../sidecar/src/entry-points/jobs/sync-schedule';
import { startSidecar } from '../support/sidecar';

const rules = { domainId: 1, contactType: 'Individual' as const, syncNames: true };

describe('bulk sync and concurrent events (real database)', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => db.drop());

  it('when a hook arrives for a user while the bulk run is processing that user\'s chunk, then the hook waits for the chunk and the user ends with one contact and one link', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `race${i}@example.org`, firstName: `R${i}` }));
    const target = ids[3];
    // Hold the chunk inside its transaction, after it has claimed its users' rows.
    const repos = createRepositories({ wpUsersTable: 'wp_users', wpUsermetaTable: 'wp_usermeta' });
    let inChunk!: () => void;
    const chunkReached = new Promise<void>((resolve) => (inChunk = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const listAfter = repos.wpUsers.listAfter.bind(repos.wpUsers);
    repos.wpUsers.listAfter = async (...args) => {
      inChunk();
      await gate;
      return listAfter(...args);
    };
    const deps: SyncDeps = { pool: db.pool, repos, rules, logger: silentLogger, chunkSize: 100 };
    const hookRepos = createRepositories({ wpUsersTable: 'wp_users', wpUsermetaTable: 'wp_usermeta' });

    const bulk = syncAllUsers(deps, { dryRun: false, trigger: 'test' });
    await chunkReached;
    let hookDone = false;
    const hook = reconcileUser({ pool: db.pool, repos: hookRepos, rules, logger: silentLogger }, target, 'profile_update').then((o) => {
      hookDone = true;
      return o;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waitedForChunk = !hookDone;
    release();
    const [run, outcome] = await Promise.all([bulk, hook]);

    expect(waitedForChunk).to.equal(true);
    expect(run.counts.created).to.equal(6);
    expect(outcome.action).to.equal('unchanged'); // the chunk created it; the hook found it done
    const links = await linksOf(db.pool, target);
    expect(links).to.have.length(1);
    expect(await count(db.pool, 'civicrm_email', 'email = ?', [`race3@example.org`])).to.equal(1);
    expect(await count(db.pool, 'civicrm_contact')).to.equal(6);
  });

  it('when hooks keep arriving for the users of a site during a bulk run, then every user ends with exactly one link and one contact', async () => {
    await insertContact(db.pool, { emails: ['shared0@example.org'] });
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `shared${i % 40}@example.org` }));
    const repos = createRepositories({ wpUsersTable: 'wp_users', wpUsermetaTable: 'wp_usermeta' });
    const deps: SyncDeps = { pool: db.pool, repos, rules, logger: silentLogger, chunkSize: 7 };

    const bulk = syncAllUsers(deps, { dryRun: false, trigger: 'test' });
    const hooks = Promise.all([...ids].reverse().map((id) => reconcileUser(deps, id, 'wp_login')));
    const [run] = await Promise.all([bulk, hooks]);

    expect(run.counts.errors).to.equal(0);
    const perUser = await rows<{ uf_id: number; n: number }>(db.pool, `SELECT uf_id, COUNT(*) AS n FROM civicrm_uf_match GROUP BY uf_id HAVING n > 1`);
    expect(perUser).to.deep.equal([]);
    expect(await count(db.pool, 'civicrm_uf_match')).to.equal(40); // 40 addresses; the 20 repeats are conflicts
    expect(await count(db.pool, 'civicrm_contact')).to.equal(40); // one existing (matched) + 39 created
    const orphans = await rows(db.pool, `SELECT c.id FROM civicrm_contact c LEFT JOIN civicrm_uf_match m ON m.contact_id = c.id WHERE m.id IS NULL`);
    expect(orphans).to.deep.equal([]);
  });

  it('when two sidecar instances share a database and the schedule fires on both, then runs follow one another without overlapping and every user has one link', async () => {
    for (let i = 0; i < 30; i++) await insertUser(db.pool, db.prefix, { email: `sched${i}@example.org` });
    const env = { SYNC_CRON: '* * * * * *', SYNC_CHUNK_SIZE: '4' };
    const [a, b] = await Promise.all([startSidecar(db, env), startSidecar(db, env)]);
    try {
      // Wait for a completed run, then for a few more ticks of both schedules.
      for (;;) {
        const done = await rows(db.pool, `SELECT id FROM contact_bridge_sync_run WHERE status = 'completed'`);
        if (done.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 2500));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const runs = await rows<{ trigger_source: string; status: string; started_at: Date; finished_at: Date }>(
      db.pool,
      `SELECT trigger_source, status, started_at, finished_at FROM contact_bridge_sync_run ORDER BY id`,
    );
    expect(runs.length).to.be.greaterThan(0);
    for (const run of runs) expect([run.trigger_source, run.status]).to.deep.equal(['cron', 'completed']);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i].started_at.getTime()).to.be.at.least(runs[i - 1].finished_at.getTime());
    }
    expect(await count(db.pool, 'civicrm_uf_match')).to.equal(30);
    expect(await count(db.pool, 'civicrm_contact')).to.equal(30);
  });

  it('when the schedules of two replicas tick at the same moment, then one runs the sync and the other skips that tick', async () => {
    for (let i = 0; i < 10; i++) await insertUser(db.pool, db.prefix, { email: `tick${i}@example.org` });
    const repos = createRepositories({ wpUsersTable: 'wp_users', wpUsermetaTable: 'wp_usermeta' });
    const deps: SyncDeps = { pool: db.pool, repos, rules, logger: silentLogger, chunkSize: 3 };
    const replicas = [0, 1].map(() =>
      startSyncSchedule({
        expression: '0 0 1 1 *', // never fires by itself here: the test calls tick()
        domainId: 1,
        pool: db.pool,
        leases: repos.leases,
        runner: createSyncRunner(deps, silentLogger),
        logger: silentLogger,
      })!,
    );
    try {
      const results = await Promise.all(replicas.map((r) => r.tick()));

      expect([...results].sort()).to.deep.equal(['ran', 'skipped']);
      expect(await count(db.pool, 'contact_bridge_sync_run')).to.equal(1);
      expect(await count(db.pool, 'civicrm_uf_match')).to.equal(10);
    } finally {
      replicas.forEach((r) => r.stop());
    }
  });
});
