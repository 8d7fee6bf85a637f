import type { RowDataPacket } from 'mysql2/promise';
import type { Statement } from '../lib/transaction';
import { execute, type Db } from './pool';

export interface UserState {
  ufId: number;
  lastAction: string | null;
  contactId: number | null;
  reason: string | null;
  updatedAt: Date;
}

export interface OutcomeRecord {
  domainId: number;
  ufId: number;
  action: string;
  contactId: number | null;
  reason: string | null;
}

const REASON_MAX = 255;
/** Rows of one outcome below which recordKeepingContactMany leaves them to the upsert. */
const MIN_SHARED_UPDATE = 50;

export function clipReason(reason: string | null): string | null {
  return reason === null ? null : reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason;
}

/** The columns recordedOf reads. */
const RECORDED_COLUMNS = 'uf_id, last_action, contact_id, reason';

/** A state row's recorded outcome (a row only claimed so far has the action ''). */
function recordedOf(r: RowDataPacket): Omit<OutcomeRecord, 'domainId'> {
  return {
    ufId: Number(r.uf_id),
    action: r.last_action === null ? '' : String(r.last_action),
    contactId: r.contact_id === null ? null : Number(r.contact_id),
    reason: r.reason === null ? null : String(r.reason),
  };
}

/** contact_bridge_user_state: the per-user row every reconcile transaction takes first. */
export class UserStateRepository {
  /**
   * Takes the user's row (creating it when missing) with an exclusive lock held until the
   * transaction ends, so two transactions for one user run one after the other.
   */
  claimStatement(domainId: number, ufId: number): Statement {
    // INSERT ... ON DUPLICATE KEY UPDATE sets an exclusive lock on the existing row too.
    return {
      sql: `INSERT INTO contact_bridge_user_state (domain_id, uf_id) VALUES (?, ?)
       ON DUPLICATE KEY UPDATE uf_id = uf_id`,
      values: [domainId, ufId],
    };
  }

  /** claim() for many users with one statement (the bulk sync takes its chunk's rows first). */
  async claimMany(db: Db, domainId: number, ufIds: number[]): Promise<void> {
    if (ufIds.length === 0) return;
    const sorted = [...ufIds].sort((a, b) => a - b); // one lock order for every claimer
    await db.query(
      `INSERT INTO contact_bridge_user_state (domain_id, uf_id) VALUES ${sorted.map(() => '(?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE uf_id = uf_id`,
      sorted.flatMap((id) => [domainId, id]),
    );
  }

  /**
   * claimMany, then the claimed rows' recorded outcomes (a row created by the claim has none).
   * The hook path under load claims a batch of users this way.
   */
  async claimManyAndRead(db: Db, domainId: number, ufIds: number[]): Promise<Map<number, Omit<OutcomeRecord, 'domainId'>>> {
    await this.claimMany(db, domainId, ufIds);
    const recorded = new Map<number, Omit<OutcomeRecord, 'domainId'>>();
    if (ufIds.length === 0) return recorded;
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${RECORDED_COLUMNS} FROM contact_bridge_user_state
        WHERE domain_id = ? AND uf_id IN (?) AND last_action IS NOT NULL`,
      [domainId, ufIds],
    );
    for (const r of rows) {
      recorded.set(Number(r.uf_id), recordedOf(r));
    }
    return recorded;
  }

  /**
   * The bulk sync's lock: locks the existing rows of users in (afterUfId, upToUfId] (a range
   * read, FOR UPDATE; no gap locks at READ COMMITTED) and returns their recorded outcomes, so
   * that rows whose outcome does not change need not be written again, and the users whose row
   * was written at or after `since` (by a reconcile that may have seen newer WordPress data). Users without a row are
   * not locked here: the chunk inserts their rows with insertNew, which fails on a duplicate key
   * when a hook took one of them in the meantime (the chunk is then redone).
   */
  async lockRange(
    db: Db,
    domainId: number,
    afterUfId: number,
    upToUfId: number | null,
    since: Date,
  ): Promise<{ recorded: Map<number, Omit<OutcomeRecord, 'domainId'>>; changedSince: number[] }> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${RECORDED_COLUMNS}, updated_at >= ? AS changed FROM contact_bridge_user_state
        WHERE domain_id = ? AND uf_id > ?${upToUfId === null ? '' : ' AND uf_id <= ?'} FOR UPDATE`,
      upToUfId === null ? [since, domainId, afterUfId] : [since, domainId, afterUfId, upToUfId],
    );
    const recorded = new Map<number, Omit<OutcomeRecord, 'domainId'>>();
    const changedSince: number[] = [];
    for (const r of rows) {
      if (Number(r.changed) === 1) changedSince.push(Number(r.uf_id));
      recorded.set(Number(r.uf_id), recordedOf(r));
    }
    return { recorded, changedSince };
  }

  /**
   * First rows of users that had none: a plain INSERT, so a row another transaction created
   * since the chunk read its users fails the statement (duplicate key) instead of being
   * overwritten with an outcome planned without it.
   */
  async insertNew(db: Db, outcomes: OutcomeRecord[]): Promise<void> {
    if (outcomes.length === 0) return;
    await db.query(
      `INSERT INTO contact_bridge_user_state (domain_id, uf_id, last_action, contact_id, reason, updated_at)
       VALUES ${outcomes.map(() => '(?, ?, ?, ?, ?, NOW(3))').join(', ')}`,
      outcomes.flatMap((o) => [o.domainId, o.ufId, o.action, o.contactId, clipReason(o.reason)]),
    );
  }

  /** The user's recorded outcome (run after claimStatement: the row is then locked). */
  findStatement(domainId: number, ufId: number): Statement {
    return {
      sql: `SELECT ${RECORDED_COLUMNS} FROM contact_bridge_user_state WHERE domain_id = ? AND uf_id = ?`,
      values: [domainId, ufId],
    };
  }

  recordedFromRows(result: unknown): Omit<OutcomeRecord, 'domainId'> | null {
    const row = (result as RowDataPacket[])[0];
    return !row || row.last_action === null ? null : recordedOf(row);
  }

  recordStatement(outcome: OutcomeRecord): Statement {
    return {
      sql: `INSERT INTO contact_bridge_user_state (domain_id, uf_id, last_action, contact_id, reason, updated_at)
       VALUES (?, ?, ?, ?, ?, NOW(3))
       ON DUPLICATE KEY UPDATE last_action = VALUES(last_action), contact_id = VALUES(contact_id),
         reason = VALUES(reason), updated_at = VALUES(updated_at)`,
      values: [outcome.domainId, outcome.ufId, outcome.action, outcome.contactId, clipReason(outcome.reason)],
    };
  }

  async record(db: Db, outcome: OutcomeRecord): Promise<void> {
    await execute(db, this.recordStatement(outcome));
  }

  async recordMany(db: Db, outcomes: OutcomeRecord[]): Promise<void> {
    if (outcomes.length === 0) return;
    await db.query(
      `INSERT INTO contact_bridge_user_state (domain_id, uf_id, last_action, contact_id, reason, updated_at)
       VALUES ${outcomes.map(() => '(?, ?, ?, ?, ?, NOW(3))').join(', ')}
       ON DUPLICATE KEY UPDATE last_action = VALUES(last_action), contact_id = VALUES(contact_id),
         reason = VALUES(reason), updated_at = VALUES(updated_at)`,
      outcomes.flatMap((o) => [o.domainId, o.ufId, o.action, o.contactId, clipReason(o.reason)]),
    );
  }

  /**
   * recordMany() for rows that exist and are locked by this transaction (lockRange read them
   * FOR UPDATE) and keep their contact id — a re-run turns every created/matched row into
   * unchanged this way. Rows sharing an outcome and reason are set by one UPDATE on their
   * primary keys, which costs the server less than the upsert (no insert attempt and
   * duplicate-key path per row); outcomes too rare to share a statement go through the upsert.
   */
  async recordKeepingContactMany(db: Db, outcomes: OutcomeRecord[]): Promise<void> {
    const groups = new Map<string, OutcomeRecord[]>();
    for (const o of outcomes) {
      const key = JSON.stringify([o.domainId, o.action, clipReason(o.reason)]);
      const group = groups.get(key);
      if (group) group.push(o);
      else groups.set(key, [o]);
    }
    const rest: OutcomeRecord[] = [];
    for (const group of groups.values()) {
      if (group.length < MIN_SHARED_UPDATE) {
        rest.push(...group);
        continue;
      }
      const { domainId, action, reason } = group[0];
      await db.query(
        `UPDATE contact_bridge_user_state SET last_action = ?, reason = ?, updated_at = NOW(3)
          WHERE domain_id = ? AND uf_id IN (?)`,
        [action, clipReason(reason), domainId, group.map((o) => o.ufId)],
      );
    }
    await this.recordMany(db, rest);
  }

  /** Users whose last outcome was a skip or a conflict, most recent first. */
  async listProblems(db: Db, domainId: number, limit: number): Promise<UserState[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT uf_id, last_action, contact_id, reason, updated_at FROM contact_bridge_user_state
        WHERE domain_id = ? AND last_action IN ('skipped', 'conflict')
        ORDER BY updated_at DESC, uf_id LIMIT ?`,
      [domainId, limit],
    );
    return rows.map((r) => ({
      ufId: Number(r.uf_id),
      lastAction: r.last_action === null ? null : String(r.last_action),
      contactId: r.contact_id === null ? null : Number(r.contact_id),
      reason: r.reason === null ? null : String(r.reason),
      updatedAt: new Date(r.updated_at),
    }));
  }
}
