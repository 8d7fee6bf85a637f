/**
 * The text shown when a bulk sync finishes, in CiviCRM's wording ("Synchronize Users to
 * Contacts"), one line each, joined by line breaks:
 *   Checked one user record. / Checked N user records.                  (always)
 *   Found one matching contact record. / Found N matching contact records. (only when N > 0)
 *   Created one new contact record. / Created N new contact records.    (always)
 * "Matching" = users whose contact already existed (already linked or newly matched by email);
 * "Created" = contacts actually created. A dry run says "Would create …" for the last line,
 * since it created nothing.
 */
import type { SyncCounts } from './sync/sync-run';

function counted(n: number, one: string, many: (n: number) => string): string {
  return n === 1 ? one : many(n);
}

export function summaryLines(counts: SyncCounts, dryRun = false): string[] {
  const lines = [counted(counts.checked, 'Checked one user record.', (n) => `Checked ${n} user records.`)];
  const matching = counts.already_linked + counts.matched;
  if (matching > 0) {
    lines.push(counted(matching, 'Found one matching contact record.', (n) => `Found ${n} matching contact records.`));
  }
  lines.push(
    dryRun
      ? counted(counts.created, 'Would create one new contact record.', (n) => `Would create ${n} new contact records.`)
      : counted(counts.created, 'Created one new contact record.', (n) => `Created ${n} new contact records.`),
  );
  return lines;
}

export function summaryText(counts: SyncCounts, dryRun = false): string {
  return summaryLines(counts, dryRun).join('\n');
}

/** The detailed counts, beyond CiviCRM's summary; a dry run says what it would do. */
export function detailLines(counts: SyncCounts, dryRun = false): string[] {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  return [
    `Already linked: ${counts.already_linked}`,
    `${verb('Newly matched', 'Would match')}: ${counts.matched}`,
    `${verb('Created', 'Would create')}: ${counts.created}`,
    `${verb('Updated', 'Would update')}: ${counts.updated}`,
    `${verb('Unlinked', 'Would unlink')}: ${counts.unlinked}`,
    `${verb('Skipped', 'Would skip')}: ${counts.skipped}`,
    `${verb('Conflicts', 'Would conflict')}: ${counts.conflicts}`,
    `Errors: ${counts.errors}`,
  ];
}
