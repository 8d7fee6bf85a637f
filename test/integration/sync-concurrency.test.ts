import { expect } from 'chai';
import type { EventSource } from '../../sidecar/src/domain/model';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { createSyncRunner } from '../../sidecar/src/entry-points/jobs/sync-runner';
import { startSyncSchedule } from '../../sidecar/src/entry-points/jobs/sync-schedule';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { createTestDatabase, forEachCrmFixture, rows, type TestDatabase } from '../support/database';
import { engineDeps, gatedStore, syncDeps, testRepos } from '../support/engine';
import { contact, count, INDIVIDUALS, insertContact, insertLink, insertUser, linksOf, updateUser } from '../support/fixtures';
import { startSidecar } from '../support/sidecar';

describe('bulk sync and concurrent events (real database)', () => {
  forEachCrmFixture((crm) => {
    let db: TestDatabase;

    beforeEach(async () => {
      db = await createTestDatabase({ crm });
    });
    afterEach(async () => db.drop());

    /**
     * A sync whose first chunk stops until released: 'locked' once it has locked its users' state
     * rows and contacts, read and planned (before it writes anything), 'pageRead' once it has read
     * its page of users and before it locks anything.
     */
    function gatedSync(chunkSize: number, at: 'locked' | 'pageRead') {
      const { store, gate } = gatedStore(testRepos().engine, at === 'locked' ? 'insertContacts' : 'readRange');
      return { deps: syncDeps(db, chunkSize, { store }), chunkReached: gate.reached, release: gate.release };
    }

    async function reconcileNoting(id: number, event: EventSource) {
      const state = { done: false };
      const outcome = reconcileUser(engineDeps(db), id, event).then((o) => {
        state.done = true;
        return o;
      });
      return { outcome, state };
    }

    it('when a hook arrives for a linked user while the bulk run holds that user\'s chunk, then the hook waits for the chunk and the user ends with one contact and one link', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `race${i}@example.org`, firstName: `R${i}` }));
      const target = ids[3];
      const setup = gatedSync(100, 'locked');
      for (const id of ids) await reconcileUser(engineDeps(db), id, 'user_register');
      await db.pool.query(`UPDATE wp_users SET user_email = 'race3-new@example.org' WHERE ID = ?`, [target]);

      const bulk = syncAllUsers(setup.deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached;
      const hook = await reconcileNoting(target, 'profile_update');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waitedForChunk = !hook.state.done;
      setup.release();
      const [run, outcome] = await Promise.all([bulk, hook.outcome]);

      expect(waitedForChunk).to.equal(true);
      expect(run.counts).to.include({ already_linked: 6, updated: 1, created: 0 });
      expect(outcome.action).to.equal('unchanged'); // the chunk applied the change; the hook found it done
      expect(await linksOf(db.pool, target)).to.deep.equal([{ uf_id: target, uf_name: 'race3-new@example.org', contact_id: outcome.contactId, domain_id: 1 }]);
      expect(await count(db.pool, 'civicrm_email', 'email = ?', ['race3-new@example.org'])).to.equal(1);
      expect(await count(db.pool, 'civicrm_contact', INDIVIDUALS)).to.equal(6);
    });

    it('when a hook links a new user while the bulk run is planning that user\'s chunk, then the chunk notices (its state row insert collides) and is redone, and the user ends with one contact and one link', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `new${i}@example.org`, firstName: `N${i}` }));
      const target = ids[3];
      const setup = gatedSync(100, 'locked');

      const bulk = syncAllUsers(setup.deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached;
      const hook = await reconcileNoting(target, 'user_register');
      const outcome = await hook.outcome; // a user without a state row is not locked by the chunk
      setup.release();
      const run = await bulk;

      expect(outcome.action).to.equal('created');
      expect(run.counts).to.include({ checked: 6, created: 5, already_linked: 1, errors: 0 });
      expect(await linksOf(db.pool, target)).to.deep.equal([{ uf_id: target, uf_name: 'new3@example.org', contact_id: outcome.contactId, domain_id: 1 }]);
      expect(await count(db.pool, 'civicrm_uf_match')).to.equal(6);
      expect(await count(db.pool, 'civicrm_contact', INDIVIDUALS)).to.equal(6);
      expect(await count(db.pool, 'civicrm_email', 'email = ?', ['new3@example.org'])).to.equal(1);
    });

    it('when a user changes and its hook completes after the bulk run read the user but before it locked the chunk, then the chunk reads the user again and does not undo the change', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `seen${i}@example.org`, firstName: `S${i}` }));
      const target = ids[2];
      const setup = gatedSync(100, 'pageRead');
      const { deps } = setup;
      for (const id of ids) await reconcileUser(engineDeps(db), id, 'user_register');

      const bulk = syncAllUsers(deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached; // the chunk's users are read (old address), nothing is locked yet
      await db.pool.query(`UPDATE wp_users SET user_email = 'seen2-new@example.org' WHERE ID = ?`, [target]);
      const hook = await reconcileUser(engineDeps(db), target, 'profile_update');
      setup.release();
      const run = await bulk;

      expect(hook.action).to.equal('updated');
      expect(run.counts).to.include({ already_linked: 6, updated: 0, errors: 0 });
      expect(await linksOf(db.pool, target)).to.deep.equal([{ uf_id: target, uf_name: 'seen2-new@example.org', contact_id: hook.contactId, domain_id: 1 }]);
      expect(await rows(db.pool, 'SELECT email, is_primary FROM civicrm_email WHERE contact_id = ?', [hook.contactId])).to.deep.equal([
        { email: 'seen2-new@example.org', is_primary: 1 },
      ]);
    });

    it('when a hook whose outcome repeats ("updated / names changed" twice) lands between the chunk\'s page read and its write, then the chunk reads the user again and the newer name stays', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `again${i}@example.org`, firstName: 'One' }));
      const target = ids[1];
      for (const id of ids) await reconcileUser(engineDeps(db), id, 'user_register');
      await updateUser(db.pool, db.prefix, target, { firstName: 'Two' });
      expect(await reconcileUser(engineDeps(db), target, 'profile_update')).to.include({ action: 'updated', reason: 'names changed' });
      const setup = gatedSync(100, 'pageRead');

      const bulk = syncAllUsers(setup.deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached; // the page holds "Two"; nothing is locked yet
      await updateUser(db.pool, db.prefix, target, { firstName: 'Three' });
      const hook = await reconcileUser(engineDeps(db), target, 'profile_update');
      setup.release();
      const run = await bulk;

      expect(hook).to.include({ action: 'updated', reason: 'names changed' });
      expect(run.counts).to.include({ already_linked: 5, updated: 0, errors: 0 });
      expect(await contact(db.pool, hook.contactId!)).to.include({ first_name: 'Three', display_name: 'Three' });
    });

    it("when a user registers after the last chunk's page was read and its hook links it, then the chunk keeps that link (it is no deleted user's) and the user has one contact", async () => {
      for (let i = 0; i < 3; i++) await insertUser(db.pool, db.prefix, { email: `early${i}@example.org` });
      const setup = gatedSync(100, 'pageRead');

      const bulk = syncAllUsers(setup.deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached; // the last page is read without the newcomer
      const late = await insertUser(db.pool, db.prefix, { email: '' , firstName: 'Late', lastName: 'Comer' });
      const hook = await reconcileUser(engineDeps(db), late, 'user_register');
      setup.release();
      const run = await bulk;
      const again = await reconcileUser(engineDeps(db), late, 'wp_login');

      expect(hook.action).to.equal('created');
      expect(run.counts).to.include({ unlinked: 0, errors: 0 });
      expect(await linksOf(db.pool, late)).to.deep.equal([{ uf_id: late, uf_name: null, contact_id: hook.contactId, domain_id: 1 }]);
      expect(again).to.include({ action: 'unchanged', contactId: hook.contactId });
      expect(await count(db.pool, 'civicrm_contact', 'first_name = ?', ['Late'])).to.equal(1);
    });

    it("when a user registers after the chunk's page was read and another writer links it (no state row), then the chunk checks the user by id and keeps the link", async () => {
      for (let i = 0; i < 3; i++) await insertUser(db.pool, db.prefix, { email: `early${i}@example.org` });
      const setup = gatedSync(100, 'pageRead');

      const bulk = syncAllUsers(setup.deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached;
      const late = await insertUser(db.pool, db.prefix, { email: 'late.other@example.org', firstName: 'Late' });
      const contactId = await insertContact(db.pool, { firstName: 'Late', emails: ['late.other@example.org'] });
      await insertLink(db.pool, late, contactId, 'late.other@example.org');
      setup.release();
      const run = await bulk;

      expect(run.counts).to.include({ unlinked: 0, errors: 0 });
      expect(await linksOf(db.pool, late)).to.deep.equal([{ uf_id: late, uf_name: 'late.other@example.org', contact_id: contactId, domain_id: 1 }]);
    });

    it("when a CRM user edits a contact's last name while the chunk that renames it has read it, then the edit waits for the chunk and both changes stand", async () => {
      const id = await insertUser(db.pool, db.prefix, { email: 'edited@example.org', firstName: 'Old', lastName: 'Name' });
      const { contactId } = await reconcileUser(engineDeps(db), id, 'user_register');
      await updateUser(db.pool, db.prefix, id, { firstName: 'New' });
      const setup = gatedSync(100, 'locked');

      const bulk = syncAllUsers(setup.deps, { dryRun: false, trigger: 'test' });
      await setup.chunkReached; // read, locked and planned: first_name New, last_name as read
      const state = { edited: false };
      const edit = db.pool.query(`UPDATE civicrm_contact SET last_name = 'Edited' WHERE id = ?`, [contactId]).then(() => (state.edited = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const editWaited = !state.edited;
      setup.release();
      await Promise.all([bulk, edit]);

      expect(editWaited).to.equal(true);
      expect(await contact(db.pool, contactId!)).to.include({ first_name: 'New', last_name: 'Edited' });
    });

    it("when a CRM user edits a contact's last name while a hook that renames it has read it, then the edit waits for the hook and both changes stand", async () => {
      const id = await insertUser(db.pool, db.prefix, { email: 'hooked@example.org', firstName: 'Old', lastName: 'Name' });
      const { contactId } = await reconcileUser(engineDeps(db), id, 'user_register');
      await updateUser(db.pool, db.prefix, id, { firstName: 'New' });
      const { store, gate } = gatedStore(testRepos().engine, 'insertContacts');

      const hook = reconcileUser(engineDeps(db, { store }), id, 'profile_update');
      await gate.reached;
      const state = { edited: false };
      const edit = db.pool.query(`UPDATE civicrm_contact SET last_name = 'Edited' WHERE id = ?`, [contactId]).then(() => (state.edited = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const editWaited = !state.edited;
      gate.release();
      const [outcome] = await Promise.all([hook, edit]);

      expect(editWaited).to.equal(true);
      expect(outcome).to.include({ action: 'updated', reason: 'names changed' });
      expect(await contact(db.pool, contactId!)).to.include({ first_name: 'New', last_name: 'Edited' });
    });

    it('when hooks keep arriving for the users of a site during a bulk run, then every user ends with exactly one link and one contact', async () => {
      await insertContact(db.pool, { emails: ['shared0@example.org'] });
      const ids: number[] = [];
      for (let i = 0; i < 60; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `shared${i % 40}@example.org` }));
      const deps = syncDeps(db, 7);

      const bulk = syncAllUsers(deps, { dryRun: false, trigger: 'test' });
      const hooks = Promise.all([...ids].reverse().map((id) => reconcileUser(deps, id, 'wp_login')));
      const [run] = await Promise.all([bulk, hooks]);

      expect(run.counts.errors).to.equal(0);
      const perUser = await rows<{ uf_id: number; n: number }>(db.pool, `SELECT uf_id, COUNT(*) AS n FROM civicrm_uf_match GROUP BY uf_id HAVING n > 1`);
      expect(perUser).to.deep.equal([]);
      expect(await count(db.pool, 'civicrm_uf_match')).to.equal(40); // 40 addresses; the 20 repeats are conflicts
      expect(await count(db.pool, 'civicrm_contact', INDIVIDUALS)).to.equal(40); // one existing (matched) + 39 created
      const orphans = await rows(db.pool, `SELECT c.id FROM civicrm_contact c LEFT JOIN civicrm_uf_match m ON m.contact_id = c.id WHERE m.id IS NULL AND c.${INDIVIDUALS}`);
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
      expect(await count(db.pool, 'civicrm_contact', INDIVIDUALS)).to.equal(30);
    });

    it('when the schedules of two replicas tick at the same moment, then one runs the sync and the other skips that tick', async () => {
      for (let i = 0; i < 10; i++) await insertUser(db.pool, db.prefix, { email: `tick${i}@example.org` });
      const deps = syncDeps(db, 3);
      const replicas = [0, 1].map(() =>
        startSyncSchedule({
          expression: '0 0 1 1 *', // never fires by itself here: the test calls tick()
          domainId: 1,
          db: deps.db,
          leases: deps.leases,
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
});
