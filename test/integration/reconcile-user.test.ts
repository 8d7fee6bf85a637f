import { expect } from 'chai';
import type { Pool } from 'mysql2/promise';
import type { EngineStore } from '../../sidecar/src/domain/ports';
import { reconcileUser, type EngineDeps } from '../../sidecar/src/domain/reconcile-users';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import { createTestDatabase, forEachCrmFixture, rows, type TestDatabase } from '../support/database';
import { engineDeps } from '../support/engine';
import {
  contact,
  count,
  deleteUser,
  emailsOf,
  insertContact,
  insertLink,
  insertUser,
  linksOf,
  snapshot,
  updateUser,
} from '../support/fixtures';

describe('reconcileUser (real database)', () => {
  forEachCrmFixture((crm) => {
    let db: TestDatabase;
    let deps: EngineDeps;

    before(async () => {
      db = await createTestDatabase({ crm });
      deps = engineDeps(db);
    });
    after(async () => db.drop());

    const user = (spec: Parameters<typeof insertUser>[2]) => insertUser(db.pool, db.prefix, spec);
    const reconcile = (id: number) => reconcileUser(deps, id, 'user_register');

    describe('no link yet', () => {
      it('when a contact has the email as primary, then the user is linked to it and no contact is created', async () => {
        const contactId = await insertContact(db.pool, { firstName: 'Ada', lastName: 'Lovelace', emails: ['ada@example.org'] });
        const before = await count(db.pool, 'civicrm_contact');
        const id = await user({ email: 'ada@example.org' });

        const outcome = await reconcile(id);

        expect(outcome).to.include({ action: 'matched', contactId });
        expect(await linksOf(db.pool, id)).to.deep.equal([{ uf_id: id, uf_name: 'ada@example.org', contact_id: contactId, domain_id: 1 }]);
        expect(await count(db.pool, 'civicrm_contact')).to.equal(before);
      });

      it('when a contact has the email only as a non-primary email, then the user is linked to it', async () => {
        const contactId = await insertContact(db.pool, { emails: [{ email: 'work@example.org', primary: true }, 'home.nonprimary@example.org'] });
        const id = await user({ email: 'home.nonprimary@example.org' });

        const outcome = await reconcile(id);

        expect(outcome).to.include({ action: 'matched', contactId });
        expect((await linksOf(db.pool, id))[0].contact_id).to.equal(contactId);
      });

      it('when the WordPress email differs in case and surrounding spaces, then it still matches and uf_name is normalised', async () => {
        const contactId = await insertContact(db.pool, { emails: ['Grace.Hopper@Example.org'] });
        const id = await user({ email: '  GRACE.hopper@example.ORG ' });

        const outcome = await reconcile(id);

        expect(outcome).to.include({ action: 'matched', contactId });
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal('grace.hopper@example.org');
      });

      it('when two contacts share the email and the first is already linked, then the user is linked to the second', async () => {
        const first = await insertContact(db.pool, { emails: ['shared.walk@example.org'] });
        const second = await insertContact(db.pool, { emails: ['shared.walk@example.org'] });
        const other = await user({ email: 'someone.else@example.org' });
        await insertLink(db.pool, other, first, 'someone.else@example.org');
        const id = await user({ email: 'shared.walk@example.org' });

        const outcome = await reconcile(id);

        expect(outcome).to.include({ action: 'matched', contactId: second });
      });

      it('when a non-primary match has a lower id than a primary match, then the primary one wins', async () => {
        await insertContact(db.pool, { emails: [{ email: 'x.order@example.org', primary: true }, 'order@example.org'] });
        const primaryOne = await insertContact(db.pool, { emails: ['order@example.org'] });
        const id = await user({ email: 'order@example.org' });

        expect(await reconcile(id)).to.include({ action: 'matched', contactId: primaryOne });
      });

      it('when the only contact with the email is in the trash, then it is ignored and a new contact is created', async () => {
        const trashed = await insertContact(db.pool, { isDeleted: true, emails: ['trashed@example.org'] });
        const id = await user({ email: 'trashed@example.org' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('created');
        expect(outcome.contactId).to.not.equal(trashed);
      });

      it('when the only contact with the email is an Organization, then it is ignored and an Individual is created', async () => {
        const org = await insertContact(db.pool, { contactType: 'Organization', emails: ['org@example.org'] });
        const id = await user({ email: 'org@example.org' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('created');
        expect(outcome.contactId).to.not.equal(org);
        expect((await contact(db.pool, outcome.contactId!))?.contact_type).to.equal('Individual');
      });

      it('when the email differs only by an accent, then it does not match (the collation would)', async () => {
        const jose = await insertContact(db.pool, { emails: ['jose.accent@example.org'] });
        const id = await user({ email: 'josé.accent@example.org' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('created');
        expect(outcome.contactId).to.not.equal(jose);
        expect(await emailsOf(db.pool, outcome.contactId!)).to.deep.equal([{ email: 'josé.accent@example.org', is_primary: 1, location_type_id: 1 }]);
      });

      it('when no contact has the email, then a contact with names, a primary email and a link is created', async () => {
        const id = await user({ email: 'New.Person@Example.org', firstName: 'New', lastName: 'Person' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('created');
        const created = await contact(db.pool, outcome.contactId!);
        expect(created).to.include({
          contact_type: 'Individual',
          first_name: 'New',
          last_name: 'Person',
          display_name: 'New Person',
          sort_name: 'Person, New',
          source: 'WordPress user',
          is_deleted: 0,
        });
        expect(created?.hash).to.match(/^[0-9a-f]{32}$/);
        expect(created?.created_date).to.be.instanceOf(Date);
        expect(await emailsOf(db.pool, outcome.contactId!)).to.deep.equal([{ email: 'new.person@example.org', is_primary: 1, location_type_id: 1 }]);
        expect((await linksOf(db.pool, id))[0]).to.include({ uf_name: 'new.person@example.org', contact_id: outcome.contactId });
      });

      it('when the user has no names, then display_name and sort_name are the email', async () => {
        const id = await user({ email: 'nameless@example.org' });

        const outcome = await reconcile(id);

        expect(await contact(db.pool, outcome.contactId!)).to.include({
          first_name: null,
          last_name: null,
          display_name: 'nameless@example.org',
          sort_name: 'nameless@example.org',
        });
      });

      it('when the user has names but no email, then a contact without email is created and uf_name is NULL', async () => {
        const id = await user({ email: '   ', firstName: 'Only', lastName: 'Names' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('created');
        expect(await emailsOf(db.pool, outcome.contactId!)).to.deep.equal([]);
        expect(await linksOf(db.pool, id)).to.deep.equal([{ uf_id: id, uf_name: null, contact_id: outcome.contactId, domain_id: 1 }]);
      });

      it('when the user has no email and no names, then nothing is created and the outcome is skipped with a reason', async () => {
        const id = await user({ email: '' });
        const contactsBefore = await count(db.pool, 'civicrm_contact');

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('skipped');
        expect(outcome.reason).to.match(/no email and no first or last name/);
        expect(await count(db.pool, 'civicrm_contact')).to.equal(contactsBefore);
        expect(await linksOf(db.pool, id)).to.deep.equal([]);
      });

      it('when another user already holds the email as uf_name, then it is a conflict and nothing is written', async () => {
        const holder = await user({ email: 'taken@example.org' });
        await reconcile(holder);
        const id = await user({ email: 'TAKEN@example.org' });
        const contactsBefore = await count(db.pool, 'civicrm_contact');
        const emailsBefore = await count(db.pool, 'civicrm_email');

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('conflict');
        expect(outcome.reason).to.contain(`user ${holder}`);
        expect(await count(db.pool, 'civicrm_contact')).to.equal(contactsBefore);
        expect(await count(db.pool, 'civicrm_email')).to.equal(emailsBefore);
        expect(await linksOf(db.pool, id)).to.deep.equal([]);
      });

      it('when a matched contact has names and the WordPress names are empty, then the contact keeps its names', async () => {
        const contactId = await insertContact(db.pool, { firstName: 'Known', lastName: 'Person', emails: ['known@example.org'] });
        const id = await user({ email: 'known@example.org' });

        await reconcile(id);

        expect(await contact(db.pool, contactId)).to.include({ first_name: 'Known', last_name: 'Person' });
      });

      it('when a matched contact has other names, then non-empty WordPress names replace them and the display names are rebuilt', async () => {
        const contactId = await insertContact(db.pool, { firstName: 'Old', lastName: 'Name', emails: ['rename@example.org'] });
        const id = await user({ email: 'rename@example.org', firstName: 'New' });

        await reconcile(id);

        expect(await contact(db.pool, contactId)).to.include({ first_name: 'New', last_name: 'Name', display_name: 'New Name', sort_name: 'Name, New' });
      });
    });

    describe('already linked', () => {
      it('when the WordPress email changes, then uf_name and the primary email follow', async () => {
        const id = await user({ email: 'before@example.org' });
        const { contactId } = await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { email: 'After@Example.org' });

        const outcome = await reconcileUser(deps, id, 'profile_update');

        expect(outcome).to.include({ action: 'updated', contactId });
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal('after@example.org');
        expect(await emailsOf(db.pool, contactId!)).to.deep.equal([{ email: 'after@example.org', is_primary: 1, location_type_id: 1 }]);
      });

      it('when the new email is one the contact already has, then that email becomes primary and no email is added', async () => {
        const contactId = await insertContact(db.pool, { emails: [{ email: 'first.addr@example.org', primary: true }, 'second.addr@example.org'] });
        const id = await user({ email: 'first.addr@example.org' });
        await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { email: 'second.addr@example.org' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('updated');
        expect(await emailsOf(db.pool, contactId)).to.deep.equal([
          { email: 'first.addr@example.org', is_primary: 0, location_type_id: 1 },
          { email: 'second.addr@example.org', is_primary: 1, location_type_id: 1 },
        ]);
      });

      it('when the new email is held by another link, then it is a conflict and the link and emails stay', async () => {
        const other = await user({ email: 'holder2@example.org' });
        await reconcile(other);
        const id = await user({ email: 'mine@example.org' });
        const { contactId } = await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { email: 'holder2@example.org' });
        const before = await snapshot(db.pool);

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('conflict');
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal('mine@example.org');
        expect(await emailsOf(db.pool, contactId!)).to.deep.equal([{ email: 'mine@example.org', is_primary: 1, location_type_id: 1 }]);
        // only the bridge's own record of the outcome changed
        const [contacts, emails, links] = JSON.parse(await snapshot(db.pool));
        const [contactsB, emailsB, linksB] = JSON.parse(before);
        expect([contacts, emails, links]).to.deep.equal([contactsB, emailsB, linksB]);
      });

      it('when the names change, then the contact names, display_name and sort_name follow', async () => {
        const id = await user({ email: 'names@example.org', firstName: 'A', lastName: 'B' });
        const { contactId } = await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { firstName: 'Alice', lastName: 'Brown' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('updated');
        expect(await contact(db.pool, contactId!)).to.include({ first_name: 'Alice', last_name: 'Brown', display_name: 'Alice Brown', sort_name: 'Brown, Alice' });
      });

      it('when the WordPress names are emptied, then the contact keeps its names', async () => {
        const id = await user({ email: 'keepnames@example.org', firstName: 'Keep', lastName: 'Me' });
        const { contactId } = await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { firstName: '', lastName: '' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('unchanged');
        expect(await contact(db.pool, contactId!)).to.include({ first_name: 'Keep', last_name: 'Me' });
      });

      it('when the WordPress email is emptied, then uf_name becomes NULL and the contact keeps its emails', async () => {
        const id = await user({ email: 'goes.away@example.org', firstName: 'Gone' });
        const { contactId } = await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { email: '' });

        const outcome = await reconcile(id);

        expect(outcome.action).to.equal('updated');
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal(null);
        expect(await emailsOf(db.pool, contactId!)).to.have.length(1);
      });

      it('when the linked contact is in the trash, then the link is kept, nothing changes and it is reported', async () => {
        const id = await user({ email: 'in.trash@example.org' });
        const { contactId } = await reconcile(id);
        await db.pool.query('UPDATE civicrm_contact SET is_deleted = 1 WHERE id = ?', [contactId]);
        await updateUser(db.pool, db.prefix, id, { email: 'changed.trash@example.org', firstName: 'Changed' });

        const outcome = await reconcile(id);

        expect(outcome).to.include({ action: 'skipped', contactId });
        expect(outcome.reason).to.match(/trash/);
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal('in.trash@example.org');
        expect(await contact(db.pool, contactId!)).to.include({ first_name: null });
      });

      it('when the user is deleted, then its link is removed and the contact is kept', async () => {
        const id = await user({ email: 'deleted@example.org' });
        const { contactId } = await reconcile(id);
        await deleteUser(db.pool, db.prefix, id);

        const outcome = await reconcileUser(deps, id, 'deleted_user');

        expect(outcome).to.include({ action: 'unlinked', contactId });
        expect(await linksOf(db.pool, id)).to.deep.equal([]);
        expect(await contact(db.pool, contactId!)).to.not.equal(undefined);
      });

      it('when the same event is delivered twice, then the second changes nothing, not even the audit log (unchanged outcomes are counted in metrics only)', async () => {
        const id = await user({ email: 'twice@example.org', firstName: 'Two' });
        const first = await reconcile(id);
        const [contactsA, emailsA, linksA, auditA] = JSON.parse(await snapshot(db.pool));

        const second = await reconcile(id);

        expect(first.action).to.equal('created');
        expect(second).to.include({ action: 'unchanged', contactId: first.contactId });
        const [contactsB, emailsB, linksB, auditB] = JSON.parse(await snapshot(db.pool));
        expect([contactsB, emailsB, linksB, auditB]).to.deep.equal([contactsA, emailsA, linksA, auditA]);
      });
    });

    describe('records and atomicity', () => {
      it('when a user is reconciled, then the outcome is in the audit log and the user state', async () => {
        const id = await user({ email: 'audited@example.org' });

        const outcome = await reconcile(id);

        const audit = await rows(db.pool, 'SELECT action, contact_id, source FROM contact_bridge_audit WHERE uf_id = ?', [id]);
        expect(audit).to.deep.equal([{ action: 'created', contact_id: outcome.contactId, source: 'user_register' }]);
        const state = await rows(db.pool, 'SELECT last_action, contact_id FROM contact_bridge_user_state WHERE uf_id = ?', [id]);
        expect(state).to.deep.equal([{ last_action: 'created', contact_id: outcome.contactId }]);
      });

      it('when the link insert fails after the contact insert, then no contact, email or link is left behind', async () => {
        // The link insert refers to a table that does not exist: the database refuses it after
        // the contact (and its email) were written in the same transaction.
        const failing = Object.create(deps.store) as EngineStore;
        failing.planStatements = (...args) =>
          deps.store.planStatements(...args).map((s) => (s.sql.startsWith('INSERT INTO civicrm_uf_match') ? { sql: 'INSERT INTO injected_failure_between_contact_and_link VALUES (1)', values: [] } : s));
        const broken: EngineDeps = { ...deps, store: failing };
        const id = await user({ email: 'halfway@example.org', firstName: 'Half' });
        const before = await snapshot(db.pool);

        let thrown: unknown;
        try {
          await reconcileUser(broken, id, 'user_register');
        } catch (error) {
          thrown = error;
        }

        expect(String(thrown)).to.contain('injected_failure_between_contact_and_link');
        expect(await snapshot(db.pool)).to.equal(before);
        expect(await count(db.pool, 'civicrm_email', 'email = ?', ['halfway@example.org'])).to.equal(0);
      });

      it('when the same new user is reconciled 10 times at once, then there is one contact and one link', async () => {
        const id = await user({ email: 'race.same@example.org' });

        const outcomes = await Promise.all(Array.from({ length: 10 }, () => reconcile(id)));

        expect(outcomes.filter((o) => o.action === 'created')).to.have.length(1);
        expect(await linksOf(db.pool, id)).to.have.length(1);
        expect(await count(db.pool, 'civicrm_email', 'email = ?', ['race.same@example.org'])).to.equal(1);
      });

      it('when two users with the same new email register at once, then one contact and one link exist and the other is a conflict', async () => {
        const a = await user({ email: 'race.pair@example.org' });
        const b = await user({ email: 'race.pair@example.org' });

        const outcomes = await Promise.all([reconcile(a), reconcile(b)]);

        expect(outcomes.map((o) => o.action).sort()).to.deep.equal(['conflict', 'created']);
        expect(await count(db.pool, 'civicrm_uf_match', 'uf_name = ?', ['race.pair@example.org'])).to.equal(1);
        expect(await count(db.pool, 'civicrm_email', 'email = ?', ['race.pair@example.org'])).to.equal(1);
      });
    });

    describe('round trips (each one a wait on the database; a live site mostly sends logins)', () => {
      /** reconcileUser on a pool whose connections count the queries sent. */
      async function reconcileCounting(id: number): Promise<{ action: string; trips: number }> {
        let trips = 0;
        const pool = {
          async getConnection() {
            const connection = await db.pool.getConnection();
            const query = connection.query.bind(connection);
            connection.query = ((...args: Parameters<typeof query>) => {
              trips++;
              return query(...args);
            }) as typeof connection.query;
            return connection;
          },
        } as unknown as Pool;
        const outcome = await reconcileUser({ ...deps, db: databaseOf(pool) }, id, 'wp_login');
        return { action: outcome.action, trips };
      }

      it('when a linked user logs in and nothing changed, then it is read and committed in two round trips', async () => {
        const id = await user({ email: 'trips.linked@example.org', firstName: 'Trip' });
        await reconcile(id);

        expect(await reconcileCounting(id)).to.deep.equal({ action: 'unchanged', trips: 2 });
      });

      it('when a linked user changed its address, then three (the holders of the new address are read)', async () => {
        const id = await user({ email: 'trips.before@example.org' });
        await reconcile(id);
        await updateUser(db.pool, db.prefix, id, { email: 'trips.after@example.org' });

        expect(await reconcileCounting(id)).to.deep.equal({ action: 'updated', trips: 3 });
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal('trips.after@example.org');
      });

      it('when a new user matches a contact, then three; when a contact is created, then four', async () => {
        await insertContact(db.pool, { emails: ['trips.match@example.org'] });
        const matched = await user({ email: 'trips.match@example.org' });
        const created = await user({ email: 'trips.new@example.org' });

        expect(await reconcileCounting(matched)).to.deep.equal({ action: 'matched', trips: 3 });
        expect(await reconcileCounting(created)).to.deep.equal({ action: 'created', trips: 4 });
      });
    });
  });
});
