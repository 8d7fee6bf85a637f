import { expect } from 'chai';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { forEachCrmFixture, rows, twoTestDatabases } from '../support/database';
import { engineDeps, syncDeps } from '../support/engine';
import { insertUser } from '../support/fixtures';
import { canonicalState } from '../support/sync-scenarios';

describe('bulk sync run again over synced users (real database)', () => {
  forEachCrmFixture((crm) => {
    const dbs = twoTestDatabases({ crm });

    it('when the sync runs twice over the same users (large chunks), then the links and contacts end as reconciling each user twice in id order would leave them, and the re-run rewrites no state row and audits only skips and conflicts', async () => {
      const ids: number[] = [];
      for (const db of [dbs.tested, dbs.reference]) {
        for (let i = 1; i <= 120; i++) {
          const spec =
            i % 40 === 0
              ? { email: '', firstName: '', lastName: '' } // skipped: nothing to link
              : i % 30 === 0
                ? { email: `user${i - 1}@example.org`, firstName: `F${i}` } // conflict with the previous user
                : { email: `user${i}@example.org`, firstName: `F${i}`, lastName: `L${i}` };
          const id = await insertUser(db.pool, 'wp_', { id: i, ...spec });
          if (db === dbs.tested) ids.push(id);
        }
      }

      const reference = engineDeps(dbs.reference);
      for (let pass = 0; pass < 2; pass++) for (const id of ids) await reconcileUser(reference, id, 'sync');
      const deps = syncDeps(dbs.tested, 500);
      const stateRows = () =>
        rows(dbs.tested.pool, `SELECT uf_id, last_action, contact_id, reason, updated_at FROM contact_bridge_user_state ORDER BY uf_id`);
      const first = await syncAllUsers(deps, { dryRun: false, trigger: 'test' });
      const afterFirst = await stateRows();
      const again = await syncAllUsers(deps, { dryRun: false, trigger: 'test' });

      expect(first.counts).to.include({ checked: 120, created: 114, skipped: 3, conflicts: 3 });
      expect(again.counts).to.include({ checked: 120, already_linked: 114, created: 0, skipped: 3, conflicts: 3 });
      const { states: _bulkStates, ...bulkEnd } = (await canonicalState(dbs.tested.pool, 0)) as Record<string, unknown>;
      const { states: _oneStates, ...oneByOneEnd } = (await canonicalState(dbs.reference.pool, 0)) as Record<string, unknown>;
      expect(bulkEnd).to.deep.equal(oneByOneEnd);
      // Each state row still says how its user was linked, and when (the run record says when the
      // re-run checked it): not one row was written again.
      expect(await stateRows()).to.deep.equal(afterFirst);
      expect(afterFirst.filter((r: any) => r.last_action === 'created' && r.contact_id !== null)).to.have.length(114);
      const audited = await rows<{ action: string; n: number }>(
        dbs.tested.pool,
        `SELECT action, COUNT(*) AS n FROM contact_bridge_audit WHERE sync_run_id = ? GROUP BY action ORDER BY action`,
        [again.id],
      );
      expect(audited.map((r) => [r.action, Number(r.n)])).to.deep.equal([['conflict', 3], ['skipped', 3]]);
    });
  });
});
