import { expect } from 'chai';
import { zeroCounts, type SyncCounts } from '../../sidecar/src/domain/sync/sync-run';
import { detailLines, summaryLines, summaryText } from '../../sidecar/src/domain/summary-text';

function counts(partial: Partial<SyncCounts>): SyncCounts {
  return { ...zeroCounts(), ...partial };
}

describe('summary text (CiviCRM wording)', () => {
  it('when one user was checked, matched and one contact created, then the one-forms are used', () => {
    expect(summaryText(counts({ checked: 1, matched: 1, created: 1 }))).to.equal(
      'Checked one user record.\nFound one matching contact record.\nCreated one new contact record.',
    );
  });

  it('when several users were checked, then the N-forms are used, and "matching" counts already linked plus newly matched', () => {
    expect(summaryLines(counts({ checked: 12, already_linked: 3, matched: 2, created: 7 }))).to.deep.equal([
      'Checked 12 user records.',
      'Found 5 matching contact records.',
      'Created 7 new contact records.',
    ]);
  });

  it('when no contact matched, then the "Found" line is left out but "Created" is always there', () => {
    expect(summaryLines(counts({ checked: 4 }))).to.deep.equal(['Checked 4 user records.', 'Created 0 new contact records.']);
  });

  it('when nothing was checked, then the N-form says 0', () => {
    expect(summaryLines(zeroCounts())).to.deep.equal(['Checked 0 user records.', 'Created 0 new contact records.']);
  });

  it('when it is a dry run, then the last line says what would be created', () => {
    expect(summaryLines(counts({ checked: 1, created: 1 }), true)).to.deep.equal([
      'Checked one user record.',
      'Would create one new contact record.',
    ]);
    expect(summaryLines(counts({ checked: 3, created: 2 }), true)[1]).to.equal('Would create 2 new contact records.');
  });

  it('when details are asked for, then every counter is shown, with "would" for a dry run', () => {
    const c = counts({ already_linked: 1, matched: 2, created: 3, updated: 4, unlinked: 5, skipped: 6, conflicts: 7, errors: 8 });
    expect(detailLines(c)).to.deep.equal([
      'Already linked: 1',
      'Newly matched: 2',
      'Created: 3',
      'Updated: 4',
      'Unlinked: 5',
      'Skipped: 6',
      'Conflicts: 7',
      'Errors: 8',
    ]);
    expect(detailLines(c, true)).to.include('Would create: 3').and.to.include('Would conflict: 7');
  });
});
