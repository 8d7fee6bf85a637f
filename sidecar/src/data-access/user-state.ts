import type { RowDataPacket } from 'mysql2/promise';
import type { StateRecord } from '../domain/engine/records';
import type { RecordedOutcome, UserState } from '../domain/model';
import { rowValues, type Query, type Runner, type Statement } from '../lib/transaction';
import { INSERT_BATCH, ufIdCondition, type UfIdSelector } from './links';

/** A user whose last outcome was a skip or a conflict. */
export interface ProblemUser extends RecordedOutcome {
  ufId: number;
  updatedAt: Date;
}

const REASON_MAX = 255;

export function clipReason(reason: string | null): string | null {
  return reason === null ? null : reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason;
}

const COLUMNS = 'uf_id, version, last_action, contact_id, reason, applied_email, applied_first_name, applied_last_name';

function toState(r: RowDataPacket): UserState {
  return {
    ufId: Number(r.uf_id),
    version: Number(r.version),
    outcome: r.last_action === null ? null : { action: String(r.last_action), contactId: r.contact_id === null ? null : Number(r.contact_id), reason: r.reason === null ? null : String(r.reason) },
    applied: r.applied_email === null ? null : { email: String(r.applied_email), firstName: String(r.applied_first_name ?? ''), lastName: String(r.applied_last_name ?? '') },
  };
}

const INSERT_COLUMNS = '(domain_id, uf_id, version, last_action, contact_id, reason, applied_email, applied_first_name, applied_last_name, updated_at)';
const ROW = '(?, ?, 1, ?, ?, ?, ?, ?, ?, NOW(3))';

function valuesOf(domainId: number, w: StateRecord): unknown[] {
  const applied = w.applied === 'keep' ? null : w.applied;
  return [domainId, w.ufId, w.outcome.action, w.outcome.contactId, clipReason(w.outcome.reason), applied?.email ?? null, applied?.firstName ?? null, applied?.lastName ?? null];
}

/**
 * contact_bridge_user_state: one row per (domain, user), taken first by every reconcile
 * transaction (events for one user take turns, whatever civicrm_uf_match's indexes), holding the
 * user's last outcome and the WordPress values last applied. Its version grows with every
 * transaction that takes or writes it.
 */
export class UserStateRepository {
  /**
   * Takes the users' rows (creating missing ones) with exclusive locks held until the
   * transaction ends, in id order (one lock order for every claimer), and bumps their versions.
   */
  claim(domainId: number, ufIds: readonly number[]): Statement {
    const sorted = [...ufIds].sort((a, b) => a - b);
    return {
      sql: `INSERT INTO contact_bridge_user_state (domain_id, uf_id, version) VALUES ${sorted.map(() => '(?, ?, 1)').join(', ')}
            ON DUPLICATE KEY UPDATE version = version + 1`,
      values: rowValues(sorted, (id) => [domainId, id]),
    };
  }

  /** The rows of these users (locked when `lock`: a range read FOR UPDATE takes no gap locks at READ COMMITTED). */
  read(domainId: number, selector: UfIdSelector, lock: boolean): Query<Map<number, UserState>> {
    const where = ufIdCondition('uf_id', selector);
    return {
      statement: { sql: `SELECT ${COLUMNS} FROM contact_bridge_user_state WHERE domain_id = ? AND ${where.sql}${lock ? ' FOR UPDATE' : ''}`, values: [domainId, ...where.values] },
      parse: (r) => new Map((r as RowDataPacket[]).map((row) => [Number(row.uf_id), toState(row)])),
    };
  }

  /**
   * New rows first (a plain INSERT: it fails on the duplicate key if another transaction created
   * the row since the snapshot, and the caller redoes its work), then upserts: those that set
   * the applied values and those that keep them.
   */
  write(domainId: number, writes: readonly StateRecord[]): Statement[] {
    const out: Statement[] = [];
    const batches = (list: readonly StateRecord[], sql: (rows: string) => string) => {
      for (let i = 0; i < list.length; i += INSERT_BATCH) {
        const part = list.slice(i, i + INSERT_BATCH);
        out.push({ sql: sql(part.map(() => ROW).join(', ')), values: rowValues(part, (w) => valuesOf(domainId, w)) });
      }
    };
    const outcomeSet = `version = version + 1, last_action = VALUES(last_action), contact_id = VALUES(contact_id), reason = VALUES(reason), updated_at = VALUES(updated_at)`;
    batches(writes.filter((w) => w.fresh), (rows) => `INSERT INTO contact_bridge_user_state ${INSERT_COLUMNS} VALUES ${rows}`);
    // Portable upsert: VALUES() works on MariaDB and MySQL 8.0 (deprecated there, not removed).
    batches(
      writes.filter((w) => !w.fresh && w.applied !== 'keep'),
      (rows) => `INSERT INTO contact_bridge_user_state ${INSERT_COLUMNS} VALUES ${rows}
                 ON DUPLICATE KEY UPDATE ${outcomeSet}, applied_email = VALUES(applied_email),
                   applied_first_name = VALUES(applied_first_name), applied_last_name = VALUES(applied_last_name)`,
    );
    batches(writes.filter((w) => !w.fresh && w.applied === 'keep'), (rows) => `INSERT INTO contact_bridge_user_state ${INSERT_COLUMNS} VALUES ${rows} ON DUPLICATE KEY UPDATE ${outcomeSet}`);
    return out;
  }

  /** Users whose last outcome was a skip or a conflict, most recent first. */
  async listProblems(db: Runner, domainId: number, limit: number): Promise<ProblemUser[]> {
    const [rows] = await db.read<[RowDataPacket[]]>({
      statement: {
        sql: `SELECT uf_id, last_action, contact_id, reason, updated_at FROM contact_bridge_user_state
               WHERE domain_id = ? AND last_action IN ('skipped', 'conflict')
               ORDER BY updated_at DESC, uf_id LIMIT ?`,
        values: [domainId, limit],
      },
      parse: (r) => r as RowDataPacket[],
    });
    return rows.map((r) => ({
      ufId: Number(r.uf_id),
      action: String(r.last_action),
      contactId: r.contact_id === null ? null : Number(r.contact_id),
      reason: r.reason === null ? null : String(r.reason),
      updatedAt: new Date(r.updated_at),
    }));
  }
}
