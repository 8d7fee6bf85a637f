import { expect } from 'chai';
import type { CandidateRow, Contact } from '../../sidecar/src/data-access/crm-contacts';
import type { Link } from '../../sidecar/src/data-access/links';
import type { WpUser } from '../../sidecar/src/data-access/wp-users';
import { localKey } from '../../sidecar/src/data-access/collation-keys';
import { planChunk, type ChunkSnapshot } from '../../sidecar/src/domain/plan-chunk';

const rules = { domainId: 1, contactType: 'Individual', syncNames: true };

function user(id: number, email: string, firstName = '', lastName = ''): WpUser {
  return { id, email, firstName, lastName };
}

function contact(id: number, names: Partial<Contact> = {}): Contact {
  return { id, isDeleted: false, firstName: null, lastName: null, ...names };
}

function snapshot(parts: Partial<ChunkSnapshot>): ChunkSnapshot {
  return { users: [], rangeLinks: [], holderLinks: [], contacts: new Map(), candidateRows: [], emailsByContact: new Map(), keyOf: localKey, ...parts };
}

const row = (contactId: number, email: string, isPrimary = true, linkedInDomain = false): CandidateRow => ({ contactId, email, isPrimary, linkedInDomain });
const link = (id: number, ufId: number, ufName: string | null, contactId: number): Link => ({ id, domainId: 1, ufId, ufName, contactId });

describe('planChunk (pure in-chunk planning)', () => {
  it('when two users of a chunk have the same address, then the first creates the contact and the second is a conflict', () => {
    const plan = planChunk(snapshot({ users: [user(1, 'same@example.org'), user(2, ' SAME@example.org')] }), rules);

    expect(plan.outcomes.map((o) => [o.ufId, o.action, o.reason])).to.deep.equal([
      [1, 'created', 'no contact has this email'],
      [2, 'conflict', 'email same@example.org is already linked to user 1'],
    ]);
    expect(plan.newContacts).to.have.length(1);
    expect(plan.newLinks).to.deep.equal([{ ufId: 1, ufName: 'same@example.org', contact: { created: 0 } }]);
  });

  it('when an earlier user of the chunk takes a candidate contact, then a later user with another address held by the same contacts walks on to the next one', () => {
    const users = [user(1, 'a@example.org'), user(2, 'b@example.org')];
    const candidateRows = [row(10, 'a@example.org'), row(10, 'b@example.org', false), row(11, 'b@example.org')];
    const plan = planChunk(snapshot({ users, candidateRows, contacts: new Map([[10, contact(10)], [11, contact(11)]]) }), rules);

    expect(plan.outcomes.map((o) => [o.action, o.contact])).to.deep.equal([
      ['matched', { existing: 10 }],
      ['matched', { existing: 11 }],
    ]);
  });

  it('when a deleted user\'s link sits between two users, then its contact is taken only by the user after it', () => {
    const users = [user(1, 'c@example.org'), user(3, 'c@example.org'.replace('c@', 'c2@'))];
    const candidateRows = [row(20, 'c@example.org', true, true), row(20, 'c2@example.org', true, true)];
    const plan = planChunk(
      snapshot({ users, rangeLinks: [link(5, 2, 'gone@example.org', 20)], candidateRows, contacts: new Map([[20, contact(20)]]) }),
      rules,
    );

    expect(plan.outcomes.map((o) => [o.ufId, o.action])).to.deep.equal([
      [1, 'created'],
      [2, 'unlinked'],
      [3, 'matched'],
    ]);
    expect(plan.unlinkUsers).to.deep.equal([2]);
  });

  it('when a linked user changes address to one another link gives up earlier in the chunk, then it takes it', () => {
    const users = [user(1, 'new1@example.org'), user(2, 'old1@example.org')];
    const rangeLinks = [link(7, 1, 'old1@example.org', 30), link(8, 2, 'old2@example.org', 31)];
    const plan = planChunk(
      snapshot({ users, rangeLinks, contacts: new Map([[30, contact(30)], [31, contact(31)]]), emailsByContact: new Map() }),
      rules,
    );

    expect(plan.outcomes.map((o) => o.action)).to.deep.equal(['updated', 'updated']);
    expect(plan.ufNameChanges).to.deep.equal([
      { linkId: 7, ufName: 'new1@example.org' },
      { linkId: 8, ufName: 'old1@example.org' },
    ]);
  });
});
