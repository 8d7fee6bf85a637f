import { expect } from 'chai';
import type { EngineStore } from '../../sidecar/src/domain/ports';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { createTestDatabase, forEachCrmFixture, rows, type TestDatabase } from '../support/database';
import { syncDeps, testRepos } from '../support/engine';
import { count, insertUser, linksOf, INDIVIDUALS } from '../support/fixtures';

/** What mysql2 throws when the server refuses a value (ER_DATA_TOO_LONG). */
function refused(): Error {
  return Object.assign(new Error("Data too long for column 'first_name'"), { errno: 1406, sqlMessage: "Data too long for column 'first_name'", code: 'ER_DATA_TOO_LONG' });
}

describe('bulk sync isolates a user the database refuses (real database)', () => {
  forEachCrmFixture((crm) => {
    let db: TestDatabase;

    before(async () => {
      db = await createTestDatabase({ crm });
    });
    after(async () => db.drop());

    it('when one user of a chunk cannot be written, then the chunk is redone user by user, that user is counted as an error with its reason, and the run goes on', async () => {
      const ids: number[] = [];
      for (const name of ['Ann', 'Bob', 'Bad', 'Cy', 'Dee', 'Eve', 'Fay']) {
        ids.push(await insertUser(db.pool, db.prefix, { email: `${name.toLowerCase()}@example.org`, firstName: name }));
      }
      // The database refuses any insert of a contact named Bad (in a chunk, or alone).
      const real = testRepos().engine;
      const store = Object.create(real) as EngineStore;
      store.insertContacts = async (tx, plan) => {
        if (plan.newContacts.some((c) => c.contact.firstName === 'Bad')) throw refused();
        return real.insertContacts(tx, plan);
      };

      const run = await syncAllUsers(syncDeps(db, 4, { store }), { dryRun: false, trigger: 'test' });

      expect(run.status).to.equal('completed');
      expect(run.counts).to.include({ checked: 7, created: 6, errors: 1 });
      expect(await linksOf(db.pool, ids[2])).to.deep.equal([]);
      for (const id of [...ids.slice(0, 2), ...ids.slice(3)]) expect(await linksOf(db.pool, id)).to.have.length(1);
      expect(await count(db.pool, 'civicrm_contact', INDIVIDUALS)).to.equal(6);
      const [audit] = await rows<{ action: string; reason: string; sync_run_id: number }>(
        db.pool,
        `SELECT action, reason, sync_run_id FROM contact_bridge_audit WHERE uf_id = ?`,
        [ids[2]],
      );
      expect(audit).to.deep.include({ action: 'error', sync_run_id: run.id });
      // The reason names the kind of failure; the driver's text (columns, values) stays in the log.
      expect(audit.reason).to.equal('The database refused the operation. (ER_DATA_TOO_LONG)');
    });
  });
});
