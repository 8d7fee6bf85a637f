import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { AuditEntry, Mention, MentionSource, PersonalDataStore, StateEntry } from '../domain/ports';
import type { Runner } from '../lib/transaction';
import { bin } from './collation-keys';
import type { WpTables } from './tables';

/** A LIKE pattern matching the text anywhere, its wildcards taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Each source's table, key and text column; keys are compared as a row (keyset paging). */
const SOURCES: Record<MentionSource, { table: string; key: string[]; text: string; at: string; ufId: string | null }> = {
  audit: { table: 'contact_bridge_audit', key: ['id'], text: 'reason', at: 'created_at', ufId: 'uf_id' },
  state: { table: 'contact_bridge_user_state', key: ['domain_id', 'uf_id'], text: 'reason', at: 'updated_at', ufId: 'uf_id' },
  sync_run: { table: 'contact_bridge_sync_run', key: ['id'], text: 'changes', at: 'started_at', ufId: null },
  repair_run: { table: 'contact_bridge_repair_run', key: ['id'], text: 'changes', at: 'started_at', ufId: null },
};

/**
 * The bridge's own rows about one person (data/privacy): read by user id within the domains
 * that hold rows of it (each query then uses the (domain_id, uf_id) index), or by the address
 * its texts name (a scan of the text column, compared lowercased byte for byte: unicode_ci would
 * also take jose@ for josé@).
 */
export class PersonalDataRepository implements PersonalDataStore {
  constructor(private readonly wp: WpTables) {}

  async userExists(db: Runner, ufId: number): Promise<boolean> {
    const [rows] = await db.run([{ sql: `SELECT 1 AS found FROM ${this.wp.users} WHERE ID = ?`, values: [ufId] }]);
    return (rows as RowDataPacket[]).length > 0;
  }

  async domainsOf(db: Runner, ufId: number): Promise<number[]> {
    // DISTINCT domain_id reads each index's first column only (a loose index scan), then each domain is probed by its key.
    const [rows] = await db.run([
      {
        sql: `SELECT d.domain_id FROM (SELECT DISTINCT domain_id FROM contact_bridge_audit UNION SELECT DISTINCT domain_id FROM contact_bridge_user_state) d
               WHERE EXISTS (SELECT 1 FROM contact_bridge_audit a WHERE a.domain_id = d.domain_id AND a.uf_id = ?)
                  OR EXISTS (SELECT 1 FROM contact_bridge_user_state s WHERE s.domain_id = d.domain_id AND s.uf_id = ?)
               ORDER BY d.domain_id`,
        values: [ufId, ufId],
      },
    ]);
    return (rows as RowDataPacket[]).map((r) => Number(r.domain_id));
  }

  async stateRows(db: Runner, ufId: number, domains: readonly number[]): Promise<StateEntry[]> {
    if (domains.length === 0) return [];
    const [rows] = await db.run([
      {
        sql: `SELECT domain_id, last_action, contact_id, reason, applied_email, applied_first_name, applied_last_name, updated_at
                FROM contact_bridge_user_state WHERE domain_id IN (?) AND uf_id = ? ORDER BY domain_id`,
        values: [domains, ufId],
      },
    ]);
    return (rows as RowDataPacket[]).map((r) => ({
      domainId: Number(r.domain_id),
      action: r.last_action === null ? null : String(r.last_action),
      contactId: r.contact_id === null ? null : Number(r.contact_id),
      reason: r.reason === null ? null : String(r.reason),
      appliedEmail: r.applied_email === null ? null : String(r.applied_email),
      appliedFirstName: r.applied_first_name === null ? null : String(r.applied_first_name),
      appliedLastName: r.applied_last_name === null ? null : String(r.applied_last_name),
      updatedAt: new Date(r.updated_at),
    }));
  }

  async auditPage(db: Runner, ufId: number, domains: readonly number[], offset: number, limit: number): Promise<AuditEntry[]> {
    if (domains.length === 0) return [];
    const [rows] = await db.run([
      {
        sql: `SELECT id, domain_id, action, contact_id, reason, source, sync_run_id, created_at FROM contact_bridge_audit
               WHERE domain_id IN (?) AND uf_id = ? ORDER BY id LIMIT ? OFFSET ?`,
        values: [domains, ufId, limit, offset],
      },
    ]);
    return (rows as RowDataPacket[]).map((r) => ({
      id: Number(r.id),
      domainId: Number(r.domain_id),
      action: String(r.action),
      contactId: r.contact_id === null ? null : Number(r.contact_id),
      reason: r.reason === null ? null : String(r.reason),
      source: String(r.source),
      syncRunId: r.sync_run_id === null ? null : Number(r.sync_run_id),
      createdAt: new Date(r.created_at),
    }));
  }

  async deleteAudit(db: Runner, ufId: number, domains: readonly number[], limit: number): Promise<number> {
    if (domains.length === 0) return 0;
    const [result] = await db.run([{ sql: `DELETE FROM contact_bridge_audit WHERE domain_id IN (?) AND uf_id = ? ORDER BY id LIMIT ?`, values: [domains, ufId, limit] }]);
    return (result as ResultSetHeader).affectedRows;
  }

  async deleteState(db: Runner, ufId: number, domains: readonly number[]): Promise<number> {
    if (domains.length === 0) return 0;
    const [result] = await db.run([{ sql: `DELETE FROM contact_bridge_user_state WHERE domain_id IN (?) AND uf_id = ?`, values: [domains, ufId] }]);
    return (result as ResultSetHeader).affectedRows;
  }

  async mentions(
    db: Runner,
    source: MentionSource,
    who: { userId: number | null; email: string; exceptUserId: number | null },
    after: readonly number[] | null,
    limit: number,
  ): Promise<Mention[]> {
    const s = SOURCES[source];
    const naming: string[] = [];
    const values: unknown[] = [];
    if (who.email !== '') {
      naming.push(`${bin(`LOWER(${s.text})`)} LIKE ?`);
      // A run's changes are JSON: the address as JSON writes it inside a string.
      values.push(containing(s.ufId === null ? JSON.stringify(who.email).slice(1, -1) : who.email));
    }
    if (s.ufId === null && who.userId !== null) {
      naming.push(`${s.text} LIKE ?`, `${s.text} LIKE ?`);
      values.push(containing(`"user_id":${who.userId},`), containing(`"userId":${who.userId},`));
    }
    if (naming.length === 0) return [];
    const where = [`(${naming.join(' OR ')})`];
    if (s.ufId !== null && who.exceptUserId !== null) {
      where.push(`${s.ufId} <> ?`);
      values.push(who.exceptUserId);
    }
    if (after !== null) {
      where.push(`(${s.key.join(', ')}) > (${s.key.map(() => '?').join(', ')})`);
      values.push(...after);
    }
    const [rows] = await db.run([
      {
        sql: `SELECT ${s.key.join(', ')}, ${s.ufId ?? 'NULL'} AS owner, domain_id AS domain, ${s.text} AS text, ${s.at} AS at
                FROM ${s.table} WHERE ${where.join(' AND ')} ORDER BY ${s.key.join(', ')} LIMIT ?`,
        values: [...values, limit],
      },
    ]);
    return (rows as RowDataPacket[]).map((r) => ({
      source,
      key: s.key.map((k) => Number(r[k])),
      ufId: r.owner === null ? null : Number(r.owner),
      domainId: Number(r.domain),
      text: String(r.text),
      at: new Date(r.at),
    }));
  }

  async rewrite(db: Runner, mention: Mention, text: string): Promise<boolean> {
    const s = SOURCES[mention.source];
    // Only if the text is still the one read: a write meanwhile is not overwritten (the caller reads again).
    const [result] = await db.run([
      {
        sql: `UPDATE ${s.table} SET ${s.text} = ? WHERE ${s.key.map((k) => `${k} = ?`).join(' AND ')} AND ${bin(s.text)} = ${bin('?')}`,
        values: [text, ...mention.key, mention.text],
      },
    ]);
    return (result as ResultSetHeader).affectedRows === 1;
  }
}
