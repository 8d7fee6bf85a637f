import { expect } from 'chai';
import {
  chooseCandidate,
  mergedNames,
  newContactFor,
  storageProblem,
  userFacts,
} from '../../sidecar/src/domain/linking-rules';
import { normaliseEmail } from '../../sidecar/src/domain/normalise-email';

const facts = (email: string, firstName = '', lastName = '') =>
  userFacts({ id: 1, email, firstName, lastName });

describe('linking rules', () => {
  it('when an email has spaces and capitals, then normalising trims and lowercases only', () => {
    expect(normaliseEmail('  José.Ü@Example.ORG\t')).to.equal('josé.ü@example.org');
    expect(normaliseEmail(null)).to.equal('');
  });

  it('when candidate rows include accent-folded addresses, then only the exact same address counts', () => {
    const rows = [
      { contactId: 1, email: 'jose@example.org', isPrimary: true, linkedInDomain: false },
      { contactId: 2, email: 'JOSÉ@example.org', isPrimary: false, linkedInDomain: false },
    ];
    expect(chooseCandidate(rows, 'josé@example.org')).to.deep.equal({ contactId: 2, viaPrimary: false });
  });

  it('when several contacts match, then primary first, lowest id next, and linked ones are walked past', () => {
    const rows = [
      { contactId: 5, email: 'a@x.org', isPrimary: false, linkedInDomain: false },
      { contactId: 9, email: 'a@x.org', isPrimary: true, linkedInDomain: true },
      { contactId: 7, email: 'a@x.org', isPrimary: true, linkedInDomain: false },
      { contactId: 3, email: 'A@X.org', isPrimary: false, linkedInDomain: false },
    ];
    expect(chooseCandidate(rows, 'a@x.org')).to.deep.equal({ contactId: 7, viaPrimary: true });
    expect(chooseCandidate(rows.map((r) => ({ ...r, linkedInDomain: true })), 'a@x.org')).to.equal(null);
  });

  it('when WordPress names are empty, then contact names are kept (no change)', () => {
    expect(mergedNames({ firstName: 'A', lastName: 'B' }, facts('a@x.org'))).to.equal(null);
  });

  it('when only the last name differs, then it replaces the contact last name and display names are rebuilt', () => {
    expect(mergedNames({ firstName: 'Ann', lastName: 'Old' }, facts('a@x.org', '', 'New'))).to.deep.equal({
      firstName: 'Ann',
      lastName: 'New',
      displayName: 'Ann New',
      sortName: 'New, Ann',
    });
  });

  it('when a new contact has no names, then display and sort names are the email', () => {
    const c = newContactFor(facts(' A@X.org '), 'Individual');
    expect(c).to.include({ firstName: null, lastName: null, displayName: 'a@x.org', sortName: 'a@x.org', source: 'WordPress user' });
    expect(c.hash).to.match(/^[0-9a-f]{32}$/);
  });

  it('when values do not fit the CRM columns, then the problem is named', () => {
    expect(storageProblem(facts(`${'a'.repeat(120)}@example.org`))).to.match(/uf_name holds 128/);
    expect(storageProblem(facts('a@x.org', 'é'.repeat(65)))).to.match(/first_name is longer than 64/);
    expect(storageProblem(facts('a@x.org', '😀'.repeat(64)))).to.equal(null);
  });
});
