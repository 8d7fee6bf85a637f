import type { Metrics } from '../../lib/metrics';
import type { LeaseStore, SyncRunStore } from '../ports';
import type { EngineDeps } from '../reconcile-users';

/** What a bulk run works with: the engine, the run records and leases, its chunk size. */
export interface SyncDeps extends EngineDeps {
  runs: SyncRunStore;
  leases: LeaseStore;
  chunkSize: number;
  metrics?: Pick<Metrics, 'syncRuns' | 'syncUsers'>;
  /** Lease time; renewed every third of it while the run works. */
  leaseSeconds?: number;
  /** Waits between attempts while the database is away (doubling from `firstMs` to `maxMs`). */
  outage?: { firstMs: number; maxMs: number };
}
