import { expect } from 'chai';
import { createRepositories } from '../../sidecar/src/data-access/repositories';
import type { LinkingRules } from '../../sidecar/src/domain/outcome';
import { reconcileUser, type ReconcileDeps } from '../../sidecar/src/domain/reconcile-user';
import { syncAllUsers, type SyncDeps } from '../../sidecar/src/domain/sync-all-users';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { insertUser } from '../support/fixtures';
import { canonicalState } from '../support/sync-scenarios';

describe('bulk sync run again over synced users (real database)', () => {
  let bulkDb: TestDatabase;
  let oneByOneDb: TestDatabase;
  const rules: LinkingRules = { domainId: 1, contactType: 'Individual', syncNames: true };
  const repos = createRepositories({ wpUsersTable: 'wp_users', wpUsermetaTable: 'wp_usermeta' });

  before(async () => {
    [bulkDb, oneByOneDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  after(async () => Promise.all([bulkDb.drop(), oneByOneDb.drop()]));

  it('when the sync runs twice over the same users (large chunks), then every state row ends as reconciling each user twice in id order would leave it', async () => {
    // Enough users of one outcome in a chunk for the re-run's state rows to be written by the
    // shared-outcome UPDATE (created -> unchanged), plus a few of other outcomes.
    const ids: number[] = [];
    for (const db of [bulkDb, oneByOneDb]) {
      for (let i = 1; i <= 120; i++) {
        const spec =
          i % 40 === 0
            ? { email: '', firstName: '', lastName: '' } // skipped: nothing to link
            : i % 30 === 0
              ? { email: `user${i - 1}@example.org`, firstName: `F${i}` } // conflict with the previous user
              : { email: `user${i}@example.org`, firstName: `F${i}`, lastName: `L${i}` };
        const id = await insertUser(db.pool, 'wp_', { id: i, ...spec });
        if (db === bulkDb) ids.push(id);
      }
    }

    const reference: ReconcileDeps = { pool: oneByOneDb.pool, repos, rules, logger: silentLogger };
    for (let pass = 0; pass < 2; pass++) for (const id of ids) await reconcileUser(reference, id, 'sync');
    const deps: SyncDeps = { pool: bulkDb.pool, repos, rules, logger: silentLogger, chunkSize: 500 };
    const first = await syncAllUsers(deps, { dryRun: false, trigger: 'test' });
    const again = await syncAllUsers(deps, { dryRun: false, trigger: 'test' });

    expect(first.counts).to.include({ checked: 120, created: 114, skipped: 3, conflicts: 3 });
    expect(again.counts).to.include({ checked: 120, already_linked: 114, created: 0, skipped: 3, conflicts: 3 });
    expect(await canonicalState(bulkDb.pool, 0)).to.deep.equal(await canonicalState(oneByOneDb.pool, 0));
    const states = await rows<{ n: number }>(
      bulkDb.pool,
      `SELECT COUNT(*) AS n FROM contact_bridge_user_state WHERE last_action = 'unchanged' AND contact_id IS NOT NULL AND reason IS NULL`,
    );
    expect(Number(states[0].n)).to.equal(114);
  });
});
