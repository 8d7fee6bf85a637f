/**
 * Audit retention (AUDIT_RETENTION_DAYS), on the schedule of the reconciliation (SYNC_CRON):
 * the same pruneAudit use case a test or a person could call.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { pruneAudit, type AuditRetentionDeps } from '../../domain/audit-retention';

export function startAuditRetention(deps: AuditRetentionDeps & { expression: string }): { stop(): void } | null {
  if (deps.expression === '' || deps.days <= 0) return null;
  let busy = false;
  const task: ScheduledTask = cron.schedule(deps.expression, () => {
    if (busy) return;
    busy = true;
    pruneAudit(deps)
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
