/**
 * Audit retention (AUDIT_RETENTION_DAYS): on the schedule of the reconciliation (SYNC_CRON),
 * audit rows older than the retention are deleted in small batches, so that the table stops
 * growing without one long delete holding locks. Replicas may run it at the same time: a row
 * is deleted once, whoever deletes it.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { AuditRepository } from '../../data-access/audit';
import type { Pool } from '../../data-access/pool';
import type { Logger } from '../../lib/logger';

export interface AuditRetentionDeps {
  pool: Pool;
  audit: AuditRepository;
  days: number;
  logger: Logger;
  /** Rows per DELETE statement. */
  batchSize?: number;
}

export const AUDIT_DELETE_BATCH = 1000;

/** Deletes every audit row older than the retention, a batch at a time; resolves with how many. */
export async function purgeOldAudit(deps: AuditRetentionDeps): Promise<number> {
  if (deps.days <= 0) return 0;
  const batch = deps.batchSize ?? AUDIT_DELETE_BATCH;
  let deleted = 0;
  for (;;) {
    const n = await deps.audit.deleteOlderThan(deps.pool, deps.days, batch);
    deleted += n;
    if (n < batch) break;
  }
  if (deleted > 0) deps.logger.info({ job: 'audit-retention', deleted, days: deps.days }, 'old audit rows deleted');
  return deleted;
}

export function startAuditRetention(deps: AuditRetentionDeps & { expression: string }): { stop(): void } | null {
  if (deps.expression === '' || deps.days <= 0) return null;
  let busy = false;
  const task: ScheduledTask = cron.schedule(deps.expression, () => {
    if (busy) return;
    busy = true;
    purgeOldAudit(deps)
      .catch((error) => deps.logger.error({ job: 'audit-retention', err: error }, 'audit retention failed'))
      .finally(() => {
        busy = false;
      });
  });
  return {
    stop() {
      void task.stop();
    },
  };
}
