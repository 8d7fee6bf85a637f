/** What readiness asks of the database (the migrations' and the domains' own checks, wired at start). */
export interface ReadinessChecks {
  pendingMigrations(): Promise<readonly string[]>;
  domainExists(domainId: number): Promise<boolean>;
}

export interface Readiness {
  ready: boolean;
  /** What is wrong, in words that name no credential, host or SQL (unsigned clients read it). */
  problem: string | null;
  /** The underlying error, for the log only. */
  detail?: unknown;
}

/** The database answers, every migration is applied and every configured domain exists. */
export async function checkReadiness(checks: ReadinessChecks, domainIds: readonly number[]): Promise<Readiness> {
  try {
    const pending = await checks.pendingMigrations();
    if (pending.length > 0) return { ready: false, problem: `migrations not applied: ${pending.length} pending` };
    for (const domainId of domainIds) {
      if (!(await checks.domainExists(domainId))) return { ready: false, problem: `CRM domain ${domainId} does not exist` };
    }
    return { ready: true, problem: null };
  } catch (error) {
    return { ready: false, problem: 'database not reachable', detail: error };
  }
}
