import { pendingMigrations } from '../data-access/migrations';
import type { Pool } from '../data-access/pool';
import { domainExists } from '../data-access/schema-checks';

export interface Readiness {
  ready: boolean;
  problem: string | null;
}

/** The database answers, every migration is applied and the configured domain exists. */
export async function checkReadiness(pool: Pool, domainId: number): Promise<Readiness> {
  try {
    const pending = await pendingMigrations(pool);
    if (pending.length > 0) return { ready: false, problem: `migrations not applied: ${pending.join(', ')}` };
    if (!(await domainExists(pool, domainId))) return { ready: false, problem: `civicrm_domain ${domainId} does not exist` };
    return { ready: true, problem: null };
  } catch (error) {
    return { ready: false, problem: `database not reachable: ${(error as Error).message}` };
  }
}
