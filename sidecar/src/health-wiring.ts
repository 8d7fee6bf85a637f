/**
 * The link health use cases' dependencies for a CRM domain, built the same way for the sidecar
 * (start.ts) and the CLI.
 */
import type { Config } from './config';
import type { Repositories } from './data-access/repositories';
import type { HealthDeps } from './domain/health/check-link-health';
import type { RepairDeps } from './domain/health/repair-links';
import { memberBlogsOf } from './domain/model';
import type { EngineDeps } from './domain/reconcile-users';
import type { Database } from './lib/transaction';

/** The check reads ranges of eight sync chunks (the database drops the healthy users: little comes back). */
export function healthDeps(config: Config, db: Database, repos: Repositories, domainId: number): HealthDeps {
  return {
    db,
    health: repos.health,
    store: repos.engine,
    rules: {
      domainId,
      contactType: config.crmContactType,
      relinkTrashed: config.relinkTrashed,
      emailDirection: config.emailDirection,
      memberBlogs: memberBlogsOf(config, domainId),
    },
    chunkSize: config.syncChunkSize * 8,
  };
}

export function repairDeps(config: Config, repos: Repositories, engine: EngineDeps, leaseSeconds: number): RepairDeps {
  return {
    ...healthDeps(config, engine.db, repos, engine.rules.domainId),
    engine,
    repairs: repos.repairs,
    syncRuns: repos.runs,
    leases: repos.leases,
    leaseSeconds,
    countUsers: () => repos.engine.countUsers(engine.db),
    logger: engine.logger,
  };
}
