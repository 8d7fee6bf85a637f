import { pendingMigrations } from '../data-access/migrations';
import type { Pool } from '../data-access/pool';
import { domainExists } from '../data-access/schema-checks';

export interface Readiness {
  ready: boolean;
  /** What is wrong, in words that name no credential, host or SQL (unsigned clients read it). */
  problem: string | null;
  /** The underlying error, for the log only. */
  detail?: unknown;
}

/** The database answers, every migration is applied and every configured domain exists. */
export async function checkReadiness(pool: Pool, domainIds: number[]): Promise<Readiness> {
  try {
    const pending = await pendingMigrations(pool);
    if (pending.length > 0) return { ready: false, problem: `migrations not applied: ${pending.length} pending` };
    for (const domainId of domainIds) {
      if (!(await domainExists(pool, domainId))) return { ready: false, problem: `CRM domain ${domainId} does not exist` };
    }
    return { ready: true, problem: null };
  } catch (error) {
    return { ready: false, problem: 'database not reachable', detail: error };
  }
}
