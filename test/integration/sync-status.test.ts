/**
 * A run's status read while the run ends: a run records its end, then releases the domain's
 * lease; a status that read the run first and the lease after saw "running, nobody holds it"
 * and answered "interrupted" for a run that had just completed.
 */
import { expect } from 'chai';
import type { LeaseStore } from '../../sidecar/src/domain/ports';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { syncRunStatus } from '../../sidecar/src/domain/sync/sync-status';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { gatedStore, syncDeps, testRepos } from '../support/engine';
import { insertUser } from '../support/fixtures';

describe('sync run status while the run ends (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 5; i += 1) await insertUser(db.pool, db.prefix, { email: `status${i}@example.org` });
  });
  after(async () => db.drop());

  it('when a run completes between the two reads of its status, then the status is "completed", never "interrupted"', async () => {
    const repos = testRepos(db.prefix);
    const { store, gate: chunkGate } = gatedStore(repos.engine, 'readRange');
    let runId = 0;
    const run = syncAllUsers(syncDeps(db, 100, { store }), { dryRun: false, trigger: 'test', onStarted: (id) => (runId = id) });
    await chunkGate.reached;

    // The status request stops at its lease read while the run finishes.
    let releaseHolder!: () => void;
    const holderOpen = new Promise<void>((resolve) => (releaseHolder = resolve));
    let atHolder!: () => void;
    const holderReached = new Promise<void>((resolve) => (atHolder = resolve));
    const leases = Object.create(repos.leases) as LeaseStore;
    leases.holder = async (...args) => {
      atHolder();
      await holderOpen;
      return repos.leases.holder(...args);
    };
    const status = syncRunStatus({ db: databaseOf(db.pool), runs: repos.runs, leases }, 1, runId);
    await holderReached;
    chunkGate.release();
    expect((await run).status).to.equal('completed');
    releaseHolder();

    expect((await status)?.status).to.equal('completed');
  });
});
