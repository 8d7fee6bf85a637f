import { expect } from 'chai';
import type { Outcome } from '../../sidecar/src/domain/model';
import { ReconcileBatcher } from '../../sidecar/src/domain/reconcile-batcher';
import { reconcileUser, reconcileUsers } from '../../sidecar/src/domain/reconcile-users';
import { createTestDatabase, forEachCrmFixture, rows, twoTestDatabases, type TestDatabase } from '../support/database';
import { engineDeps } from '../support/engine';
import { count, insertContact, insertUser, INDIVIDUALS } from '../support/fixtures';
import { canonicalState, editBetweenSyncs, resetData, rng, writeScenario } from '../support/sync-scenarios';

const SEEDS = Number(process.env.RECONCILE_USERS_SEEDS ?? 25);

describe('reconcileUsers: many events in one transaction (real database)', () => {
  forEachCrmFixture((crm) => {
    const dbs = twoTestDatabases({ crm });

    it(`when the events of ${SEEDS} random data sets are reconciled in batches of random sizes in id order, then each ends exactly as reconcileUser for each user in id order, with the same outcome per event — again after CRM-side and WordPress edits`, async () => {
      for (let seed = 101; seed < 101 + SEEDS; seed++) {
        await Promise.all([resetData(dbs.tested.pool, 'wp_'), resetData(dbs.reference.pool, 'wp_')]);
        const [scenario] = await Promise.all([writeScenario(dbs.tested.pool, 'wp_', seed), writeScenario(dbs.reference.pool, 'wp_', seed)]);
        let audited = 0;
        for (const round of ['first events', 'after CRM and WordPress edits']) {
          if (round !== 'first events') await Promise.all([editBetweenSyncs(dbs.tested.pool, 'wp_', seed), editBetweenSyncs(dbs.reference.pool, 'wp_', seed)]);
          const linked = await rows<{ uf_id: number }>(dbs.reference.pool, `SELECT DISTINCT uf_id FROM civicrm_uf_match`);
          // Every user, every uf_id with a link, and one id that is neither.
          const ids = [...new Set([...scenario.userIds, ...linked.map((l) => Number(l.uf_id)), 999_999])].sort((a, b) => a - b);

          const reference = engineDeps(dbs.reference);
          const expected: Outcome[] = [];
          for (const id of ids) expected.push(await reconcileUser(reference, id, 'wp_login'));

          const random = rng(seed * 31);
          const deps = engineDeps(dbs.tested);
          const got: Outcome[] = [];
          for (let i = 0; i < ids.length; ) {
            const size = 1 + Math.floor(random() * 9);
            got.push(...(await reconcileUsers(deps, ids.slice(i, i + size).map((userId) => ({ userId, source: 'wp_login' as const })))));
            i += size;
          }

          const context = `seed ${seed}, ${round}`;
          const canon = (o: Outcome, maxContact: number) => [o.userId, o.action, o.reason, o.contactId !== null && o.contactId <= maxContact ? o.contactId : o.contactId === null ? null : 'new'];
          expect(got.map((o) => canon(o, scenario.maxContactId)), context).to.deep.equal(expected.map((o) => canon(o, scenario.maxContactId)));
          expect(await canonicalState(dbs.tested.pool, scenario.maxContactId), context).to.deep.equal(await canonicalState(dbs.reference.pool, scenario.maxContactId));
          // One audit row per event that did or refused something, with the event's name.
          audited += expected.filter((o) => o.action !== 'unchanged').length;
          expect(await count(dbs.tested.pool, 'contact_bridge_audit', "source = 'wp_login'"), context).to.equal(audited);
        }
      }
    });
  });
});

describe('ReconcileBatcher: events arriving faster than transactions end (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => db.drop());

  it('when 120 events for 60 users arrive at once with 2 transactions at most, then they are reconciled in batches, every event gets its outcome, each that did something an audit row, and every user ends with one link and one contact', async () => {
    await insertContact(db.pool, { emails: ['busy7@example.org'], firstName: 'Known' });
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) ids.push(await insertUser(db.pool, db.prefix, { email: `busy${i % 50}@example.org`, firstName: `B${i}` }));
    const sizes: number[] = [];
    const batcher = new ReconcileBatcher({ maxInFlight: 2, maxBatch: 100, onBatch: (n) => sizes.push(n) });
    const deps = engineDeps(db);

    const outcomes = await Promise.all([...ids, ...ids].map((id, i) => batcher.reconcile(deps, id, i < 60 ? 'user_register' : 'wp_login')));

    expect(Math.max(...sizes)).to.be.greaterThan(1);
    expect(sizes.reduce((a, b) => a + b, 0)).to.equal(120);
    expect(outcomes).to.have.length(120);
    // An audit row for every outcome but "unchanged" (those are counted in metrics only).
    expect(outcomes.filter((o) => o.action === 'unchanged').length).to.be.greaterThan(0);
    expect(await count(db.pool, 'contact_bridge_audit')).to.equal(outcomes.filter((o) => o.action !== 'unchanged').length);
    // 50 addresses: the first user of each links (one of them to the known contact); the ten
    // later users sharing an address are conflicts.
    expect(await count(db.pool, 'civicrm_uf_match')).to.equal(50);
    expect(await rows(db.pool, `SELECT uf_id FROM civicrm_uf_match GROUP BY uf_id HAVING COUNT(*) > 1`)).to.deep.equal([]);
    expect(await count(db.pool, 'civicrm_contact', INDIVIDUALS)).to.equal(50);
    expect(outcomes.filter((o) => o.action === 'conflict').length).to.equal(20); // 10 users × 2 events
    const orphans = await rows(db.pool, `SELECT c.id FROM civicrm_contact c LEFT JOIN civicrm_uf_match m ON m.contact_id = c.id WHERE m.id IS NULL AND c.${INDIVIDUALS}`);
    expect(orphans).to.deep.equal([]);
  });
});
