/**
 * Contacts as CiviCRM would write them, and "what changed wins", on CiviCRM's own tables
 * (test/support/civicrm-schema.ts: its definitions, keys, triggers, base rows, option values).
 */
import { expect } from 'chai';
import { generateBenchData } from '../../bench/bench-data';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { engineDeps, syncDeps, TEST_RULES } from '../support/engine';
import { contact, emailsOf, insertContact, insertLink, insertUser, linksOf, snapshot, updateUser } from '../support/fixtures';

interface Shown {
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  sort_name: string | null;
  email_greeting_id: number | null;
  email_greeting_display: string | null;
  postal_greeting_id: number | null;
  postal_greeting_display: string | null;
  addressee_id: number | null;
  addressee_display: string | null;
  created_date: Date | null;
}

async function shown(db: TestDatabase, id: number): Promise<Shown> {
  const [row] = await rows<Shown>(
    db.pool,
    `SELECT first_name, last_name, display_name, sort_name, email_greeting_id, email_greeting_display, postal_greeting_id,
            postal_greeting_display, addressee_id, addressee_display, created_date FROM civicrm_contact WHERE id = ?`,
    [id],
  );
  return row;
}

describe('contacts as CiviCRM writes them, on CiviCRM 6.14 tables (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    // A site whose default location type is Work (id 2), not Home.
    db = await createTestDatabase({ crm: 'civicrm-work-default' });
  });
  after(async () => db.drop());
  const user = (spec: Parameters<typeof insertUser>[2]) => insertUser(db.pool, db.prefix, spec);

  it('when a user registers, then its contact has the site\'s default location type, the default greetings and addressee, and CiviCRM\'s name formats', async () => {
    const id = await user({ email: 'ann.lee@example.org', firstName: 'Ann', lastName: 'Lee' });

    const outcome = await reconcileUser(engineDeps(db), id, 'user_register');

    expect(outcome.action).to.equal('created');
    expect(await shown(db, outcome.contactId!)).to.deep.include({
      display_name: 'Ann Lee',
      sort_name: 'Lee, Ann',
      email_greeting_id: 1,
      email_greeting_display: 'Dear Ann',
      postal_greeting_id: 1,
      postal_greeting_display: 'Dear Ann',
      addressee_id: 1,
      addressee_display: 'Ann Lee',
    });
    expect((await shown(db, outcome.contactId!)).created_date).to.be.instanceOf(Date);
    expect(await emailsOf(db.pool, outcome.contactId!)).to.deep.equal([{ email: 'ann.lee@example.org', is_primary: 1, location_type_id: 2 }]);
  });

  it('when a user is matched to "Dr. Jane Q. Doe Jr.", then the WordPress first name replaces hers and the prefix, suffix and middle name stay in every name CiviCRM shows', async () => {
    const janeId = await insertContact(db.pool, { firstName: 'Jane', lastName: 'Doe', emails: ['jane.doe@example.org'] });
    await db.pool.query(
      `UPDATE civicrm_contact SET middle_name = 'Q.', prefix_id = 4, suffix_id = 1, display_name = 'Dr. Jane Doe Jr.', sort_name = 'Doe, Jane',
              email_greeting_id = 1, email_greeting_display = 'Dear Jane', postal_greeting_id = 1, postal_greeting_display = 'Dear Jane',
              addressee_id = 1, addressee_display = 'Dr. Jane Q. Doe Jr.' WHERE id = ?`,
      [janeId],
    );
    const id = await user({ email: 'jane.doe@example.org', firstName: 'Janet', lastName: 'Doe' });

    const outcome = await reconcileUser(engineDeps(db), id, 'user_register');

    expect(outcome).to.include({ action: 'matched', contactId: janeId });
    expect(await shown(db, janeId)).to.deep.include({
      first_name: 'Janet',
      display_name: 'Dr. Janet Doe Jr.',
      sort_name: 'Doe, Janet',
      email_greeting_display: 'Dear Janet',
      addressee_display: 'Dr. Janet Q. Doe Jr.',
    });
  });

  it('when CRM staff edit a linked contact\'s last name, then the user\'s login and a bulk sync change nothing, and a later WordPress change of the first name still reaches it', async () => {
    const id = await user({ email: 'kept.edit@example.org', firstName: 'Kim', lastName: 'Smith' });
    const { contactId } = await reconcileUser(engineDeps(db), id, 'user_register');
    await db.pool.query(`UPDATE civicrm_contact SET last_name = 'Smith-Jones' WHERE id = ?`, [contactId]);

    const login = await reconcileUser(engineDeps(db), id, 'wp_login');
    const sync = await syncAllUsers(syncDeps(db, 50), { dryRun: false, trigger: 'test' });
    const afterPasses = await contact(db.pool, contactId!);
    await updateUser(db.pool, db.prefix, id, { firstName: 'Kimberly' });
    const change = await reconcileUser(engineDeps(db), id, 'profile_update');

    expect(login).to.include({ action: 'unchanged' });
    expect(sync.counts.updated).to.equal(0);
    expect(afterPasses).to.include({ first_name: 'Kim', last_name: 'Smith-Jones' });
    expect(change).to.include({ action: 'updated', reason: 'names changed' });
    expect(await shown(db, contactId!)).to.deep.include({ first_name: 'Kimberly', last_name: 'Smith-Jones', display_name: 'Kimberly Smith-Jones', email_greeting_display: 'Dear Kimberly' });
  });

  it('when CiviCRM stored the link as Admin@Example.org for a user whose address is admin@example.org, then the link is kept as CiviCRM wrote it and the event is unchanged', async () => {
    const contactId = await insertContact(db.pool, { firstName: 'Site', lastName: 'Admin', emails: ['Admin@Example.org'] });
    const id = await user({ email: 'admin@example.org', firstName: 'Site', lastName: 'Admin' });
    await insertLink(db.pool, id, contactId, 'Admin@Example.org');

    const outcome = await reconcileUser(engineDeps(db), id, 'wp_login');

    expect(outcome).to.include({ action: 'unchanged', reason: null });
    expect(await linksOf(db.pool, id)).to.deep.equal([{ uf_id: id, uf_name: 'Admin@Example.org', contact_id: contactId, domain_id: 1 }]);
    expect(await emailsOf(db.pool, contactId)).to.deep.equal([{ email: 'Admin@Example.org', is_primary: 1, location_type_id: 1 }]);
  });

  it('when a contact without names changes its address in WordPress, then its display and sort names follow the address', async () => {
    const id = await user({ email: 'nameless.old@example.org' });
    const { contactId } = await reconcileUser(engineDeps(db), id, 'user_register');
    await updateUser(db.pool, db.prefix, id, { email: 'nameless.new@example.org' });

    await reconcileUser(engineDeps(db), id, 'profile_update');

    expect(await shown(db, contactId!)).to.deep.include({ display_name: 'nameless.new@example.org', sort_name: 'nameless.new@example.org', email_greeting_display: 'Dear' });
  });

  it('when users are Organizations (CRM_CONTACT_TYPE), then a new one is named by the email with the Organization addressee, and a matched one keeps its name', async () => {
    const acme = await insertContact(db.pool, { contactType: 'Organization', emails: ['office@acme.example.org'] });
    await db.pool.query(`UPDATE civicrm_contact SET organization_name = 'Acme', display_name = 'Acme', sort_name = 'Acme' WHERE id = ?`, [acme]);
    const rules = { ...TEST_RULES, contactType: 'Organization' as const };
    const matched = await user({ email: 'office@acme.example.org', firstName: 'Ann', lastName: 'Lee' });
    const created = await user({ email: 'new.org@example.org', firstName: 'Bob', lastName: 'Ray' });

    const a = await reconcileUser(engineDeps(db, { rules }), matched, 'user_register');
    const b = await reconcileUser(engineDeps(db, { rules }), created, 'user_register');

    expect(a).to.include({ action: 'matched', contactId: acme });
    expect(await contact(db.pool, acme)).to.include({ first_name: null, last_name: null, display_name: 'Acme' });
    const [org] = await rows<Record<string, unknown>>(
      db.pool,
      `SELECT contact_type, organization_name, first_name, last_name, display_name, sort_name, addressee_id, addressee_display, email_greeting_id FROM civicrm_contact WHERE id = ?`,
      [b.contactId],
    );
    expect(org).to.deep.equal({
      contact_type: 'Organization',
      organization_name: 'new.org@example.org',
      first_name: null,
      last_name: null,
      display_name: 'new.org@example.org',
      sort_name: 'new.org@example.org',
      addressee_id: 3,
      addressee_display: 'new.org@example.org',
      email_greeting_id: null,
    });
  });
});

describe('bulk sync on CiviCRM 6.14 tables (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ crm: 'civicrm-6.14' });
    await generateBenchData(db.pool, db.prefix, 3000);
  });
  after(async () => db.drop());

  it('when 3000 users are synced, then every contact made is as complete as a hook makes it, and a second run changes nothing', async () => {
    const first = await syncAllUsers(syncDeps(db, 250), { dryRun: false, trigger: 'test' });
    const incomplete = await rows(
      db.pool,
      `SELECT c.id FROM civicrm_contact c
        WHERE c.source = 'WordPress user'
          AND (c.email_greeting_id IS NULL OR c.email_greeting_display IS NULL OR c.postal_greeting_id IS NULL
               OR c.addressee_id IS NULL OR c.addressee_display IS NULL OR c.display_name IS NULL OR c.created_date IS NULL
               OR c.hash IS NULL)`,
    );
    const before = await snapshot(db.pool);
    const again = await syncAllUsers(syncDeps(db, 250), { dryRun: false, trigger: 'test' });
    const [contacts, emails, links] = JSON.parse(await snapshot(db.pool));
    const [contactsB, emailsB, linksB] = JSON.parse(before);

    expect(first.counts).to.include({ checked: 3000, errors: 0 });
    expect(first.counts.created).to.be.greaterThan(1000);
    expect(incomplete).to.deep.equal([]);
    expect(again.counts).to.include({ checked: 3000, created: 0, matched: 0, updated: 0, errors: 0 });
    expect([contacts, emails, links]).to.deep.equal([contactsB, emailsB, linksB]);
  });
});
