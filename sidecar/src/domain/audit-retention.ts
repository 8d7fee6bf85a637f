/**
 * pruneAudit(days): audit rows older than the retention are deleted in small batches, so that
 * the table stops growing without one long delete holding locks. Replicas may run it at the
 * same time: a row is deleted once, whoever deletes it.
 */
import type { Logger } from '../lib/logger';
import type { Database } from '../lib/transaction';
import type { AuditStore } from './ports';

export const AUDIT_DELETE_BATCH = 1000;

export interface AuditRetentionDeps {
  db: Database;
  audit: AuditStore;
  days: number;
  logger: Logger;
  /** Rows per DELETE statement. */
  batchSize?: number;
}

/** Deletes every audit row older than the retention, a batch at a time; resolves with how many. */
export async function pruneAudit(deps: AuditRetentionDeps): Promise<number> {
  if (deps.days <= 0) return 0;
  const batch = deps.batchSize ?? AUDIT_DELETE_BATCH;
  let deleted = 0;
  for (;;) {
    const n = await deps.audit.deleteOlderThan(deps.db, deps.days, batch);
    deleted += n;
    if (n < batch) break;
  }
  if (deleted > 0) deps.logger.info({ job: 'audit-retention', deleted, days: deps.days }, 'old audit rows deleted');
  return deleted;
}
