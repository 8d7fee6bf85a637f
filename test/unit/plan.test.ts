import { expect } from 'chai';
import { localKey } from '../../sidecar/src/data-access/collation-keys';
import { emptyCarry } from '../../sidecar/src/domain/engine/link-book';
import { plan } from '../../sidecar/src/domain/engine/plan';
import type { Snapshot } from '../../sidecar/src/domain/engine/snapshot';
import { storageProblem, userFacts } from '../../sidecar/src/domain/engine/user-facts';
import { bareConventions, type CandidateRow, type Contact, type CrmConventions, type Link, type LinkingRules, type UserState, type WpUser } from '../../sidecar/src/domain/model';
import { normaliseEmail } from '../../sidecar/src/domain/normalise-email';

const rules: LinkingRules = { domainId: 1, contactType: 'Individual', syncNames: true, onUserDelete: 'keep', trashMatched: false, memberBlogs: null };

/** CiviCRM's install defaults (option-values of a fresh 6.x site). */
function civicrmConventions(): CrmConventions {
  const c = bareConventions();
  return {
    ...c,
    locationTypeId: 1,
    prefixLabels: new Map([[4, 'Dr.'], [3, 'Mr.']]),
    suffixLabels: new Map([[1, 'Jr.']]),
    greetingTemplates: {
      email_greeting: new Map([[1, 'Dear {contact.first_name}'], [5, 'Dear {contact.household_name}']]),
      postal_greeting: new Map([[1, 'Dear {contact.first_name}']]),
      addressee: new Map([
        [1, '{contact.prefix_id:label}{ }{contact.first_name}{ }{contact.middle_name}{ }{contact.last_name}{ }{contact.suffix_id:label}'],
        [3, '{contact.organization_name}'],
      ]),
    },
    greetingDefaults: { email_greeting: { Individual: 1, Household: 5 }, postal_greeting: { Individual: 1 }, addressee: { Individual: 1, Organization: 3 } },
  };
}

const user = (id: number, email: string, firstName = '', lastName = ''): WpUser => ({ id, email, firstName, lastName });

function contact(id: number, fields: Partial<Contact> = {}): Contact {
  const greeting = { id: null, custom: null, display: null };
  return {
    id,
    contactType: 'Individual',
    isDeleted: false,
    firstName: null,
    middleName: null,
    lastName: null,
    prefixId: null,
    suffixId: null,
    displayName: null,
    sortName: null,
    organizationName: null,
    householdName: null,
    greetings: { email_greeting: greeting, postal_greeting: greeting, addressee: greeting },
    complete: true,
    ...fields,
  };
}

const row = (contactId: number, email: string, isPrimary = true, linkedInDomain = false): CandidateRow => ({ contactId, email, isPrimary, linkedInDomain });
const link = (id: number, ufId: number, ufName: string | null, contactId: number): Link => ({ id, domainId: 1, ufId, ufName, contactId });
const state = (ufId: number, applied: UserState['applied']): UserState => ({ ufId, version: 1, outcome: { action: 'updated', contactId: null, reason: null }, applied });

function snapshot(parts: Partial<Snapshot> & { users?: WpUser[] }): Snapshot {
  const users = parts.users ?? [];
  const ids = new Set([...users.map((u) => u.id), ...(parts.links ?? []).map((l) => l.ufId)]);
  const byId = new Map(users.map((u) => [u.id, u]));
  return {
    subjects: parts.subjects ?? [...ids].sort((a, b) => a - b).map((ufId) => ({ ufId, user: byId.get(ufId) ?? null })),
    states: parts.states ?? new Map(),
    links: parts.links ?? [],
    contacts: parts.contacts ?? new Map(),
    emails: parts.emails ?? new Map(),
    candidates: parts.candidates ?? [],
    trashFacts: parts.trashFacts ?? new Map(),
    keyOf: localKey,
  };
}

const decide = (s: Snapshot, conventions = civicrmConventions(), r = rules) => plan(s, { rules: r, conventions });

describe('the planner (pure)', () => {
  describe('the deletion policy (ON_USER_DELETE)', () => {
    const trash: LinkingRules = { ...rules, onUserDelete: 'trash' };
    const gone = (facts: { source: string | null; otherLinks: number }, extra: Partial<Snapshot> & { users?: WpUser[] } = {}) =>
      snapshot({ links: [link(5, 9, 'gone@example.org', 30)], contacts: new Map([[30, contact(30)]]), trashFacts: new Map([[30, facts]]), ...extra });

    it('when the policy is keep (the default), then a deleted user is unlinked and its contact kept', () => {
      const p = decide(gone({ source: 'WordPress user', otherLinks: 0 }));

      expect(p.unlinkUsers).to.deep.equal([9]);
      expect(p.trashContacts).to.deep.equal([]);
      expect(p.outcomes[0].reason).to.equal('user no longer exists; contact kept');
    });

    it('when the policy is trash and the bridge created the contact and nothing else links it, then it is trashed', () => {
      const p = decide(gone({ source: 'WordPress user', otherLinks: 0 }), civicrmConventions(), trash);

      expect(p.unlinkUsers).to.deep.equal([9]);
      expect(p.trashContacts).to.deep.equal([30]);
      expect(p.outcomes[0]).to.include({ action: 'unlinked', reason: 'user no longer exists; contact 30 moved to the trash' });
    });

    it('when the policy is trash but another link (any domain) points to the contact, or it was matched, or it is trashed already, then it is kept', () => {
      expect(decide(gone({ source: 'WordPress user', otherLinks: 1 }), civicrmConventions(), trash).trashContacts).to.deep.equal([]);
      expect(decide(gone({ source: 'Import', otherLinks: 0 }), civicrmConventions(), trash).trashContacts).to.deep.equal([]);
      expect(decide(gone({ source: 'Import', otherLinks: 0 }), civicrmConventions(), { ...trash, trashMatched: true }).trashContacts).to.deep.equal([30]);
      const binned = gone({ source: 'WordPress user', otherLinks: 0 }, { contacts: new Map([[30, contact(30, { isDeleted: true })]]) });
      expect(decide(binned, civicrmConventions(), trash).trashContacts).to.deep.equal([]);
    });

    it('when a user later in the same plan takes the deleted user\'s contact, then it is not trashed', () => {
      const s = gone({ source: 'WordPress user', otherLinks: 0 }, { users: [user(12, 'gone@example.org')], candidates: [row(30, 'gone@example.org', true, true)] });

      const p = decide(s, civicrmConventions(), trash);

      expect(p.outcomes.map((o) => [o.ufId, o.action])).to.deep.equal([
        [9, 'unlinked'],
        [12, 'matched'],
      ]);
      expect(p.trashContacts).to.deep.equal([]);
    });
  });

  describe('several users in one plan, as one after the other', () => {
    it('when two users have the same address, then the first creates the contact and the second is a conflict', () => {
      const p = decide(snapshot({ users: [user(1, 'same@example.org'), user(2, ' SAME@example.org')] }));

      expect(p.outcomes.map((o) => [o.ufId, o.action, o.reason])).to.deep.equal([
        [1, 'created', 'no contact has this email'],
        [2, 'conflict', 'email same@example.org is already linked to user 1'],
      ]);
      expect(p.newContacts).to.have.length(1);
      expect(p.newLinks).to.deep.equal([{ ufId: 1, ufName: 'same@example.org', contact: { created: 0 } }]);
    });

    it('when an earlier user takes a candidate contact, then a later user held by the same contacts walks on to the next one', () => {
      const candidates = [row(10, 'a@example.org'), row(10, 'b@example.org', false), row(11, 'b@example.org')];
      const p = decide(snapshot({ users: [user(1, 'a@example.org'), user(2, 'b@example.org')], candidates, contacts: new Map([[10, contact(10)], [11, contact(11)]]) }));

      expect(p.outcomes.map((o) => [o.action, o.contact])).to.deep.equal([
        ['matched', { existing: 10 }],
        ['matched', { existing: 11 }],
      ]);
    });

    it("when a deleted user's link sits between two users, then its contact is taken only by the user after it", () => {
      const candidates = [row(20, 'c@example.org', true, true), row(20, 'c2@example.org', true, true)];
      const p = decide(snapshot({ users: [user(1, 'c@example.org'), user(3, 'c2@example.org')], links: [link(5, 2, 'gone@example.org', 20)], candidates, contacts: new Map([[20, contact(20)]]) }));

      expect(p.outcomes.map((o) => [o.ufId, o.action])).to.deep.equal([
        [1, 'created'],
        [2, 'unlinked'],
        [3, 'matched'],
      ]);
      expect(p.unlinkUsers).to.deep.equal([2]);
    });

    it('when a linked user changes address to one another link gives up earlier in the plan, then it takes it', () => {
      const p = decide(snapshot({ users: [user(1, 'new1@example.org'), user(2, 'old1@example.org')], links: [link(7, 1, 'old1@example.org', 30), link(8, 2, 'old2@example.org', 31)], contacts: new Map([[30, contact(30)], [31, contact(31)]]) }));

      expect(p.outcomes.map((o) => o.action)).to.deep.equal(['updated', 'updated']);
      expect(p.ufNameChanges).to.deep.equal([
        { linkId: 7, ufName: 'new1@example.org' },
        { linkId: 8, ufName: 'old1@example.org' },
      ]);
    });

    it('when an earlier chunk took an address (carried), then a user of this chunk finds it held', () => {
      const carried = emptyCarry();
      const first = plan(snapshot({ users: [user(1, 'taken@example.org')] }), { rules, conventions: civicrmConventions() }, { from: emptyCarry(), into: carried });
      const second = plan(snapshot({ users: [user(9, 'taken@example.org')] }), { rules, conventions: civicrmConventions() }, { from: carried, into: emptyCarry() });

      expect(first.outcomes[0].action).to.equal('created');
      expect(second.outcomes[0]).to.include({ action: 'conflict', reason: 'email taken@example.org is already linked to user 1' });
    });
  });

  describe('what changed wins', () => {
    const linked = (fields: Partial<Contact>, applied: UserState['applied'], wp: WpUser) =>
      decide(snapshot({ users: [wp], links: [link(1, wp.id, 'ann@example.org', 50)], contacts: new Map([[50, contact(50, fields)]]), states: new Map([[wp.id, state(wp.id, applied)]]) }));

    it('when the CRM changed the last name and WordPress did not, then a login changes nothing', () => {
      const p = linked({ firstName: 'Ann', lastName: 'Smith-Jones' }, { email: 'ann@example.org', firstName: 'Ann', lastName: 'Smith' }, user(7, 'ann@example.org', 'Ann', 'Smith'));

      expect(p.outcomes[0]).to.include({ action: 'unchanged', touched: false });
      expect(p.contactUpdates).to.deep.equal([]);
    });

    it('when WordPress changed the first name since it was applied, then only that name travels and the CRM\'s last name stays', () => {
      const p = linked({ firstName: 'Ann', lastName: 'Smith-Jones' }, { email: 'ann@example.org', firstName: 'Ann', lastName: 'Smith' }, user(7, 'ann@example.org', 'Anna', 'Smith'));

      expect(p.outcomes[0]).to.include({ action: 'updated', reason: 'names changed' });
      expect(p.contactUpdates[0].columns).to.include({ firstName: 'Anna', lastName: 'Smith-Jones', displayName: 'Anna Smith-Jones', sortName: 'Smith-Jones, Anna' });
      expect(p.outcomes[0].applied).to.deep.equal({ email: 'ann@example.org', firstName: 'Anna', lastName: 'Smith' });
    });

    it('when both sides changed the same name, then WordPress wins and the reason says so', () => {
      const p = linked({ firstName: 'Annie', lastName: 'Smith' }, { email: 'ann@example.org', firstName: 'Ann', lastName: 'Smith' }, user(7, 'ann@example.org', 'Anna', 'Smith'));

      expect(p.outcomes[0].reason).to.equal('names changed; first_name also changed in the CRM, WordPress value applied');
      expect(p.contactUpdates[0].columns.firstName).to.equal('Anna');
    });

    it('when WordPress blanked a name, then the contact keeps its own and the empty value is recorded', () => {
      const p = linked({ firstName: 'Ann', lastName: 'Smith' }, { email: 'ann@example.org', firstName: 'Ann', lastName: 'Smith' }, user(7, 'ann@example.org', '', 'Smith'));

      expect(p.outcomes[0]).to.include({ action: 'unchanged' });
      expect(p.outcomes[0].applied).to.deep.equal({ email: 'ann@example.org', firstName: '', lastName: 'Smith' });
    });

    it('when nothing was recorded yet (a link from before), then non-empty WordPress names that differ replace the contact\'s', () => {
      const p = linked({ firstName: 'Old', lastName: 'Name' }, null, user(7, 'ann@example.org', 'New', ''));

      expect(p.outcomes[0]).to.include({ action: 'updated', reason: 'names changed' });
      expect(p.contactUpdates[0].columns).to.include({ firstName: 'New', lastName: 'Name' });
    });

    it('when a uf_name differs from the user\'s address only in letter case, then nothing is rewritten and the event is unchanged', () => {
      const p = decide(snapshot({ users: [user(3, 'admin@example.org')], links: [link(1, 3, 'Admin@Example.org', 50)], contacts: new Map([[50, contact(50)]]) }));

      expect(p.outcomes[0]).to.include({ action: 'unchanged', reason: null });
      expect(p.ufNameChanges).to.deep.equal([]);
    });

    it('when the CRM changed the primary email and WordPress did not, then the CRM\'s address is kept', () => {
      const p = decide(
        snapshot({
          users: [user(3, 'ann@example.org')],
          links: [link(1, 3, 'ann@example.org', 50)],
          contacts: new Map([[50, contact(50)]]),
          emails: new Map([[50, [{ id: 9, contactId: 50, email: 'ann@crm.example.org', isPrimary: true }]]]),
          states: new Map([[3, state(3, { email: 'ann@example.org', firstName: '', lastName: '' })]]),
        }),
      );

      expect(p.outcomes[0].action).to.equal('unchanged');
      expect(p.setAddress).to.deep.equal([]);
    });

    it('when WordPress changed the address and the CRM had too, then WordPress wins and the reason says so', () => {
      const p = decide(
        snapshot({
          users: [user(3, 'ann@new.example.org')],
          links: [link(1, 3, 'ann@example.org', 50)],
          contacts: new Map([[50, contact(50, { firstName: 'Ann' })]]),
          emails: new Map([[50, [{ id: 9, contactId: 50, email: 'ann@crm.example.org', isPrimary: true }]]]),
          states: new Map([[3, state(3, { email: 'ann@example.org', firstName: 'Ann', lastName: '' })]]),
        }),
      );

      expect(p.outcomes[0].reason).to.equal('email changed; email also changed in the CRM, WordPress value applied');
      expect(p.setAddress).to.deep.equal([{ emailId: 9, email: 'ann@new.example.org' }]);
    });
  });

  describe('contacts as CiviCRM writes them', () => {
    it('when a contact is created, then it has the default greetings and addressee rendered, and the site\'s location type is recorded', () => {
      const conventions = { ...civicrmConventions(), locationTypeId: 2 };
      const p = decide(snapshot({ users: [user(1, 'ann@example.org', 'Ann', 'Lee')] }), conventions);
      const created = p.newContacts[0].contact;

      expect(created).to.include({ displayName: 'Ann Lee', sortName: 'Lee, Ann', emailGreetingDisplay: 'Dear Ann', postalGreetingDisplay: 'Dear Ann', addresseeDisplay: 'Ann Lee', source: 'WordPress user' });
      expect(created.greetingIds).to.deep.equal({ email_greeting: 1, postal_greeting: 1, addressee: 1 });
      expect(p.locationTypeId).to.equal(2);
    });

    it('when the option tables are absent, then greetings are left NULL', () => {
      const created = decide(snapshot({ users: [user(1, 'ann@example.org', 'Ann')] }), bareConventions()).newContacts[0].contact;

      expect(created).to.include({ emailGreetingDisplay: null, postalGreetingDisplay: null, addresseeDisplay: null });
      expect(created.greetingIds).to.deep.equal({ email_greeting: null, postal_greeting: null, addressee: null });
    });

    it('when a user is matched to "Dr. Jane Doe Jr.", then the new first name keeps the prefix and suffix in the names CiviCRM shows', () => {
      const greetings = { email_greeting: { id: 1, custom: null, display: 'Dear Jane' }, postal_greeting: { id: 1, custom: null, display: 'Dear Jane' }, addressee: { id: 1, custom: null, display: 'Dr. Jane Q Doe Jr.' } };
      const jane = contact(40, { firstName: 'Jane', middleName: 'Q', lastName: 'Doe', prefixId: 4, suffixId: 1, displayName: 'Dr. Jane Doe Jr.', sortName: 'Doe, Jane', greetings });
      const p = decide(snapshot({ users: [user(8, 'jane@example.org', 'Janet', 'Doe')], candidates: [row(40, 'jane@example.org')], contacts: new Map([[40, jane]]) }));

      expect(p.outcomes[0].action).to.equal('matched');
      expect(p.contactUpdates[0].columns).to.include({ firstName: 'Janet', displayName: 'Dr. Janet Doe Jr.', sortName: 'Doe, Janet', emailGreetingDisplay: 'Dear Janet', addresseeDisplay: 'Dr. Janet Q Doe Jr.' });
    });

    it('when a contact without names changes its address, then its display and sort names follow the new address', () => {
      const p = decide(
        snapshot({
          users: [user(3, 'new@example.org')],
          links: [link(1, 3, 'old@example.org', 50)],
          contacts: new Map([[50, contact(50, { displayName: 'old@example.org', sortName: 'old@example.org' })]]),
          emails: new Map([[50, [{ id: 9, contactId: 50, email: 'old@example.org', isPrimary: true }]]]),
        }),
      );

      expect(p.contactUpdates[0].columns).to.include({ displayName: 'new@example.org', sortName: 'new@example.org' });
    });

    it('when the configured type is Organization, then a new contact is named by the email, never by WordPress names', () => {
      const p = decide(snapshot({ users: [user(1, 'org@example.org', 'Ann', 'Lee')] }), civicrmConventions(), { ...rules, contactType: 'Organization' });

      expect(p.newContacts[0].contact).to.include({ contactType: 'Organization', organizationName: 'org@example.org', firstName: null, lastName: null, displayName: 'org@example.org', addresseeDisplay: 'org@example.org' });
    });

    it('when an Organization is matched, then its name is not overwritten by the user\'s names', () => {
      const org = contact(60, { contactType: 'Organization', organizationName: 'Acme' });
      const p = decide(snapshot({ users: [user(1, 'acme@example.org', 'Ann', 'Lee')], candidates: [row(60, 'acme@example.org')], contacts: new Map([[60, org]]) }), civicrmConventions(), { ...rules, contactType: 'Organization' });

      expect(p.outcomes[0].action).to.equal('matched');
      expect(p.contactUpdates).to.deep.equal([]);
    });

    it('when an Organization user has no email, then nothing is created and the reason says why', () => {
      const p = decide(snapshot({ users: [user(1, '', 'Ann', 'Lee')] }), civicrmConventions(), { ...rules, contactType: 'Organization' });

      expect(p.outcomes[0]).to.include({ action: 'skipped', reason: 'user has no email; a new Organization contact is named by it' });
    });
  });

  it('when an email has spaces and capitals, then normalising trims and lowercases only', () => {
    expect(normaliseEmail('  José.Ü@Example.ORG\t')).to.equal('josé.ü@example.org');
    expect(normaliseEmail(null)).to.equal('');
  });

  it('when candidate rows include accent-folded addresses, then only the exact same address matches', () => {
    const p = decide(snapshot({ users: [user(1, 'josé@example.org')], candidates: [row(1, 'jose@example.org'), row(2, 'JOSÉ@example.org', false)], contacts: new Map([[1, contact(1)], [2, contact(2)]]) }));

    expect(p.outcomes[0]).to.include({ action: 'matched', reason: 'contact has this email (not primary)' });
    expect(p.outcomes[0].contact).to.deep.equal({ existing: 2 });
  });

  it('when values do not fit the CRM columns, then the problem is named', () => {
    const facts = (email: string, firstName = '') => userFacts({ id: 1, email, firstName, lastName: '' });
    expect(storageProblem(facts(`${'a'.repeat(120)}@example.org`))).to.match(/uf_name holds 128/);
    expect(storageProblem(facts('a@x.org', 'é'.repeat(65)))).to.match(/first_name is longer than 64/);
    expect(storageProblem(facts('a@x.org', '😀'.repeat(64)))).to.equal(null);
  });
});
