import type { AuditStore, EngineStore, HealthStore, LeaseStore, PersonalDataStore, ProblemStore, RepairRunStore, SyncRunStore } from '../domain/ports';
import { AuditRepository } from './audit';
import { SqlEngineStore } from './engine-store';
import { LeasesRepository } from './leases';
import { LinkHealthRepository } from './link-health';
import { PersonalDataRepository } from './personal-data';
import { RepairRunsRepository } from './repair-runs';
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
  health: HealthStore;
  repairs: RepairRunStore;
  personalData: PersonalDataStore;
}

export function createRepositories(tables: { wpUsersTable: string; wpUsermetaTable: string; wpTablePrefix?: string }): Repositories {
  const wp = wpTables(tables.wpUsersTable, tables.wpUsermetaTable, tables.wpTablePrefix);
  return {
    engine: new SqlEngineStore(new WpUsersRepository(wp)),
    runs: new SyncRunsRepository(),
    leases: new LeasesRepository(),
    problems: new UserStateRepository(),
    audit: new AuditRepository(),
    health: new LinkHealthRepository(wp),
    repairs: new RepairRunsRepository(),
    personalData: new PersonalDataRepository(wp),
  };
}
