import { AuditRepository } from './audit';
import { CollationKeysRepository } from './collation-keys';
import { CrmContactsRepository } from './crm-contacts';
import { LeasesRepository } from './leases';
import { LinksRepository } from './links';
import { SyncRunsRepository } from './sync-runs';
import { wpTables } from './tables';
import { UserStateRepository } from './user-state';
import { WpUsersRepository } from './wp-users';

/** Every repository, built once at start from the (validated) table names. */
export interface Repositories {
  wpUsers: WpUsersRepository;
  contacts: CrmContactsRepository;
  links: LinksRepository;
  userState: UserStateRepository;
  audit: AuditRepository;
  leases: LeasesRepository;
  syncRuns: SyncRunsRepository;
  collationKeys: CollationKeysRepository;
}

export function createRepositories(tables: { wpUsersTable: string; wpUsermetaTable: string }): Repositories {
  return {
    wpUsers: new WpUsersRepository(wpTables(tables.wpUsersTable, tables.wpUsermetaTable)),
    contacts: new CrmContactsRepository(),
    links: new LinksRepository(),
    userState: new UserStateRepository(),
    audit: new AuditRepository(),
    leases: new LeasesRepository(),
    syncRuns: new SyncRunsRepository(),
    collationKeys: new CollationKeysRepository(),
  };
}
