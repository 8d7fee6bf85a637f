import type { Statement } from '../lib/transaction';
import type { ResultSetHeader } from 'mysql2/promise';
import { execute, type Db } from './pool';
import { clipReason, type OutcomeRecord } from './user-state';

export interface AuditEntry extends OutcomeRecord {
  /** The event name (user_register, …), "sync" for the bulk run, or "cli". */
  source: string;
  syncRunId?: number | null;
}

/** contact_bridge_audit: one row per outcome, never updated; deleted when older than the retention. */
export class AuditRepository {
  insertStatement(entries: AuditEntry[]): Statement {
    return {
      sql: `INSERT INTO contact_bridge_audit (domain_id, uf_id, action, contact_id, reason, source, sync_run_id)
       VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      values: entries.flatMap((e) => [
        e.domainId,
        e.ufId,
        e.action,
        e.contactId,
        clipReason(e.reason),
        e.source.slice(0, 32),
        e.syncRunId ?? null,
      ]),
    };
  }

  async insertMany(db: Db, entries: AuditEntry[]): Promise<void> {
    if (entries.length > 0) await execute(db, this.insertStatement(entries));
  }

  /**
   * Deletes at most `limit` rows created more than `days` days ago, oldest first (the
   * idx_created index): small statements that hold few locks, called until one deletes fewer.
   */
  async deleteOlderThan(db: Db, days: number, limit: number): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `DELETE FROM contact_bridge_audit WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? DAY ORDER BY created_at LIMIT ?`,
      [days, limit],
    );
    return result.affectedRows;
  }
}
