/**
 * The link health use cases' dependencies for a CRM domain, built the same way for the sidecar
 * (start.ts) and the CLI.
 */
import type { Config } from './config';
import type { Repositories } from './data-access/repositories';
import type { HealthDeps } from './domain/health/check-link-health';
import type { RepairDeps } from './domain/health/repair-links';
import { linkingRules } from './domain/model';
import type { EngineDeps } from './domain/reconcile-users';
import type { Database } from './lib/transaction';

/** The check reads ranges of eight sync chunks (the database drops the healthy users: little comes back). */
export function healthDeps(config: Config, db: Database, repos: Repositories, domainId: number): HealthDeps {
  // The domain, its contact type and who its users are: the engine's rules, from the one place that makes them.
  const { contactType, memberBlogs } = linkingRules(config, domainId);
  return {
    db,
    health: repos.health,
    store: repos.engine,
    rules: { domainId, contactType, memberBlogs, relinkTrashed: config.relinkTrashed, emailDirection: config.emailDirection },
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
