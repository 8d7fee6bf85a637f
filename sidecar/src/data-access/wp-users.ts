import type { RowDataPacket } from 'mysql2/promise';
import type { WpUser } from '../domain/model';
import type { Query, Runner } from '../lib/transaction';
import { isMemberSql, type WpTables } from './tables';
import { ufIdCondition, type UfIdSelector } from './links';

const NAME_KEYS = ['first_name', 'last_name'];

type Meta = { first_name?: string; last_name?: string };

function metaByUser(rows: RowDataPacket[]): Map<number, Meta> {
  const byUser = new Map<number, Meta>();
  for (const row of rows) {
    if (row.meta_key === null) continue;
    const id = Number(row.user_id);
    const entry = byUser.get(id) ?? {};
    const key = String(row.meta_key) as keyof Meta;
    // Like get_user_meta($id, $key, true): the first row (lowest umeta_id) wins.
    if (entry[key] === undefined) entry[key] = row.meta_value === null ? '' : String(row.meta_value);
    byUser.set(id, entry);
  }
  return byUser;
}

function toUser(row: RowDataPacket, meta?: Meta): WpUser {
  return { id: Number(row.ID), email: String(row.user_email ?? ''), firstName: meta?.first_name ?? '', lastName: meta?.last_name ?? '' };
}

/** Users and their name meta, from the two result sets of a users statement and its meta statement. */
function joinUsers(users: RowDataPacket[], meta: RowDataPacket[]): WpUser[] {
  const byUser = metaByUser(meta);
  return users.map((row) => toUser(row, byUser.get(Number(row.ID))));
}

/**
 * {prefix}users and {prefix}usermeta, read on their own: never joined to CRM tables, so their
 * charset and collation (often another than the CRM's) can never clash with the CRM's.
 */
export class WpUsersRepository {
  constructor(private readonly tables: WpTables) {}

  /**
   * The users with these ids that exist, in ID order, with their names: one statement per
   * table, sent together (the meta by user id; ORDER BY user_id, umeta_id is the index order).
   */
  byIds(ids: readonly number[]): [Query<RowDataPacket[]>, Query<WpUser[]>] {
    let users: RowDataPacket[] = [];
    return [
      {
        statement: { sql: `SELECT ID, user_email FROM ${this.tables.users} WHERE ID IN (?) ORDER BY ID`, values: [ids.length ? ids : [0]] },
        parse: (r) => (users = r as RowDataPacket[]),
      },
      {
        statement: {
          sql: `SELECT user_id, meta_key, meta_value FROM ${this.tables.usermeta}
                 WHERE user_id IN (?) AND meta_key IN (?) ORDER BY user_id, umeta_id`,
          values: [ids.length ? ids : [0], NAME_KEYS],
        },
        parse: (r) => joinUsers(users, r as RowDataPacket[]),
      },
    ];
  }

  /** byIds as one call. */
  async findManyByIds(db: Runner, ids: readonly number[]): Promise<WpUser[]> {
    if (ids.length === 0) return [];
    const [, users] = await db.read(...this.byIds(ids));
    return users;
  }

  /**
   * Up to `limit` users with ID > afterId, in ID order (keyset pagination), with their names:
   * the page first, then the meta of its id range. With `versionsIn`, each user's state-row
   * version in that domain is read by the same statement as the user (null: no row), so a
   * reader can tell which users a reconcile transaction took since (the join is on integer ids
   * with the bridge's own table: no collation is involved).
   */
  async page(db: Runner, afterId: number, limit: number, versionsIn?: number): Promise<{ users: WpUser[]; versions: Map<number, number | null> }> {
    const [rows] = await db.read<[RowDataPacket[]]>({
      statement:
        versionsIn === undefined
          ? { sql: `SELECT ID, user_email FROM ${this.tables.users} WHERE ID > ? ORDER BY ID LIMIT ?`, values: [afterId, limit] }
          : {
              sql: `SELECT u.ID, u.user_email, s.version FROM ${this.tables.users} u
                      LEFT JOIN contact_bridge_user_state s ON s.domain_id = ? AND s.uf_id = u.ID
                     WHERE u.ID > ? ORDER BY u.ID LIMIT ?`,
              values: [versionsIn, afterId, limit],
            },
      parse: (r) => r as RowDataPacket[],
    });
    const versions = new Map<number, number | null>(rows.map((r) => [Number(r.ID), r.version === null || r.version === undefined ? null : Number(r.version)]));
    if (rows.length === 0) return { users: [], versions };
    const [meta] = await db.read<[RowDataPacket[]]>({
      statement: {
        sql: `SELECT user_id, meta_key, meta_value FROM ${this.tables.usermeta}
               WHERE user_id BETWEEN ? AND ? AND meta_key IN (?) ORDER BY user_id, umeta_id`,
        values: [Number(rows[0].ID), Number(rows[rows.length - 1].ID), NAME_KEYS],
      },
      parse: (r) => r as RowDataPacket[],
    });
    return { users: joinUsers(rows, meta), versions };
  }

  /** Which of these users are members of one of the sites (WordPress's per-site capabilities meta); their ids. */
  members(selector: UfIdSelector, blogIds: readonly number[]): Query<Set<number>> {
    const where = ufIdCondition('u.ID', selector);
    const member = isMemberSql(this.tables, 'u.ID', blogIds);
    return {
      statement: { sql: `SELECT u.ID FROM ${this.tables.users} u WHERE ${where.sql} AND ${member.sql}`, values: [...where.values, ...member.values] },
      parse: (r) => new Set((r as RowDataPacket[]).map((row) => Number(row.ID))),
    };
  }

  /** Users whose address equals one of `emails` under the users table's collation (callers compare exactly). */
  byEmails(emails: readonly string[]): Query<Array<{ id: number; email: string }>> {
    return {
      statement: { sql: `SELECT ID, user_email FROM ${this.tables.users} WHERE user_email IN (?)`, values: [emails.length ? emails : ['']] },
      parse: (r) => (emails.length ? (r as RowDataPacket[]).map((row) => ({ id: Number(row.ID), email: String(row.user_email ?? '') })) : []),
    };
  }

  async count(db: Runner): Promise<number> {
    const [n] = await db.read<[number]>({
      statement: { sql: `SELECT COUNT(*) AS n FROM ${this.tables.users}`, values: [] },
      parse: (r) => Number((r as RowDataPacket[])[0].n),
    });
    return n;
  }

  async idsAfter(db: Runner, afterId: number, limit: number): Promise<number[]> {
    const [ids] = await db.read<[number[]]>({
      statement: { sql: `SELECT ID FROM ${this.tables.users} WHERE ID > ? ORDER BY ID LIMIT ?`, values: [afterId, limit] },
      parse: (r) => (r as RowDataPacket[]).map((row) => Number(row.ID)),
    });
    return ids;
  }
}
