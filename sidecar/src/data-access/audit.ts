import type { RowDataPacket } from 'mysql2/promise';
import type { Statement } from '../lib/transaction';
import { execute, type Db } from './pool';
import { clipReason, type OutcomeRecord } from './user-state';

export interface AuditEntry extends OutcomeRecord {
  /** The event name (user_register, …), "sync" for the bulk run, or "cli". */
  source: string;
  syncRunId?: number | null;
}

export interface AuditRow extends AuditEntry {
  id: number;
  createdAt: Date;
}

/** contact_bridge_audit: one row per outcome, never updated. */
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

  async listForUser(db: Db, domainId: number, ufId: number): Promise<AuditRow[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, domain_id, uf_id, action, contact_id, reason, source, sync_run_id, created_at
         FROM contact_bridge_audit WHERE domain_id = ? AND uf_id = ? ORDER BY id`,
      [domainId, ufId],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      domainId: Number(r.domain_id),
      ufId: Number(r.uf_id),
      action: String(r.action),
      contactId: r.contact_id === null ? null : Number(r.contact_id),
      reason: r.reason === null ? null : String(r.reason),
      source: String(r.source),
      syncRunId: r.sync_run_id === null ? null : Number(r.sync_run_id),
      createdAt: new Date(r.created_at),
    }));
  }
}
