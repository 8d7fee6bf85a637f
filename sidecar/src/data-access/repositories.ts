import type { AuditStore, EngineStore, LeaseStore, ProblemStore, SyncRunStore } from '../domain/ports';
import { AuditRepository } from './audit';
import { SqlEngineStore } from './engine-store';
import { LeasesRepository } from './leases';
import { SyncRunsRepository } from './sync-runs';
import { wpTables } from './tables';
import { UserStateRepository } from './user-state';
import { WpUsersRepository } from './wp-users';

/** Every store the domain uses, built once at start from the (validated) table names. */
export interface Repositories {
  engine: EngineStore;
  runs: SyncRunStore;
  leases: LeaseStore;
  problems: ProblemStore;
  audit: AuditStore;
}

export function createRepositories(tables: { wpUsersTable: string; wpUsermetaTable: string }): Repositories {
  return {
    engine: new SqlEngineStore(new WpUsersRepository(wpTables(tables.wpUsersTable, tables.wpUsermetaTable))),
    runs: new SyncRunsRepository(),
    leases: new LeasesRepository(),
    problems: new UserStateRepository(),
    audit: new AuditRepository(),
  };
}
