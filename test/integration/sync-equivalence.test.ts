import { expect } from 'chai';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import type { SyncCounts } from '../../sidecar/src/domain/sync/sync-run';
import { forEachCrmFixture, rows, twoTestDatabases } from '../support/database';
import { engineDeps, syncDeps } from '../support/engine';
import { canonicalState, editBetweenSyncs, resetData, rng, writeScenario } from '../support/sync-scenarios';

const SEEDS = Number(process.env.SYNC_EQUIVALENCE_SEEDS ?? 40);
const FIRST_SEED = Number(process.env.SYNC_EQUIVALENCE_FIRST_SEED ?? 1);


function countsFromActions(actions: Array<{ action: string; isUser: boolean }>): SyncCounts {
  const c: SyncCounts = { checked: 0, already_linked: 0, matched: 0, created: 0, updated: 0, unlinked: 0, skipped: 0, conflicts: 0, errors: 0 };
  for (const { action, isUser } of actions) {
    if (isUser) c.checked += 1;
    if (action === 'unchanged' || action === 'updated') c.already_linked += 1;
    if (action === 'updated') c.updated += 1;
    if (action === 'matched') c.matched += 1;
    if (action === 'created') c.created += 1;
    if (action === 'unlinked') c.unlinked += 1;
    if (action === 'skipped') c.skipped += 1;
    if (action === 'conflict') c.conflicts += 1;
  }
  return c;
}


describe('syncAllUsers equivalence with reconcileUser one by one (property test, real database)', () => {
  forEachCrmFixture((crm) => {
    const dbs = twoTestDatabases({ crm });

    it(`when ${SEEDS} random data sets are synced in bulk (random chunk sizes), then each ends exactly as reconcileUser for each user in id order — again after CRM-side and WordPress edits between syncs — and a dry run predicted the same counts`, async () => {
      for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
        await Promise.all([resetData(dbs.tested.pool, 'wp_'), resetData(dbs.reference.pool, 'wp_')]);
        const [scenario] = await Promise.all([writeScenario(dbs.tested.pool, 'wp_', seed), writeScenario(dbs.reference.pool, 'wp_', seed)]);
        const chunkSize = 1 + Math.floor(rng(seed * 7919)() * 12);

        for (const round of ['first sync', 'after CRM and WordPress edits']) {
          if (round !== 'first sync') await Promise.all([editBetweenSyncs(dbs.tested.pool, 'wp_', seed), editBetweenSyncs(dbs.reference.pool, 'wp_', seed)]);
          // One by one, in id order: every user, and every uf_id that has a link.
          const linked = await rows<{ uf_id: number }>(dbs.reference.pool, `SELECT DISTINCT uf_id FROM civicrm_uf_match`);
          const ids = [...new Set([...scenario.userIds, ...linked.map((l) => Number(l.uf_id))])].sort((a, b) => a - b);
          const userSet = new Set(scenario.userIds);
          const reference = engineDeps(dbs.reference);
          const actions: Array<{ action: string; isUser: boolean }> = [];
          for (const id of ids) actions.push({ action: (await reconcileUser(reference, id, 'sync')).action, isUser: userSet.has(id) });

          const deps = syncDeps(dbs.tested, chunkSize);
          const dry = await syncAllUsers(deps, { dryRun: true, trigger: 'test' });
          const run = await syncAllUsers(deps, { dryRun: false, trigger: 'test' });

          const context = `seed ${seed}, chunk size ${chunkSize}, ${round}`;
          expect(run.status, context).to.equal('completed');
          expect(await canonicalState(dbs.tested.pool, scenario.maxContactId), context).to.deep.equal(
            await canonicalState(dbs.reference.pool, scenario.maxContactId),
          );
          expect(run.counts, context).to.deep.equal(countsFromActions(actions));
          // Every audit row carries the run id: no chunk fell back to the one-by-one path.
          expect(await rows(dbs.tested.pool, `SELECT id FROM contact_bridge_audit WHERE sync_run_id IS NULL`), context).to.deep.equal([]);
          expect(dry.counts, `${context} (dry run)`).to.deep.equal(run.counts);
          if (process.env.SYNC_EQUIVALENCE_VERBOSE) console.log(context, JSON.stringify(run.counts));
        }
      }
    });
  });
});
