import type { ResultSetHeader } from 'mysql2/promise';
import type { AuditRow } from '../domain/engine/records';
import { rowValues, type Runner, type Statement } from '../lib/transaction';
import { INSERT_BATCH } from './links';
import { clipReason } from './user-state';

/** contact_bridge_audit: one row per outcome that did something, never updated; deleted when older than the retention. */
export class AuditRepository {
  insert(domainId: number, entries: readonly AuditRow[]): Statement[] {
    const out: Statement[] = [];
    for (let i = 0; i < entries.length; i += INSERT_BATCH) {
      const part = entries.slice(i, i + INSERT_BATCH);
      out.push({
        sql: `INSERT INTO contact_bridge_audit (domain_id, uf_id, action, contact_id, reason, source, sync_run_id)
              VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        values: rowValues(part, (e) => [domainId, e.ufId, e.action, e.contactId, clipReason(e.reason), e.source.slice(0, 32), e.syncRunId]),
      });
    }
    return out;
  }

  /**
   * Deletes at most `limit` rows created more than `days` days ago, oldest first (the
   * idx_created index): small statements that hold few locks, called until one deletes fewer.
   */
  async deleteOlderThan(db: Runner, days: number, limit: number): Promise<number> {
    const [result] = await db.run([
      { sql: `DELETE FROM contact_bridge_audit WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? DAY ORDER BY created_at LIMIT ?`, values: [days, limit] },
    ]);
    return (result as ResultSetHeader).affectedRows;
  }
}
