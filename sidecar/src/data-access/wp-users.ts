import type { RowDataPacket } from 'mysql2/promise';
import type { Statement } from '../lib/transaction';
import type { Db } from './pool';
import type { WpTables } from './tables';

/** A WordPress user as the linking rules read it: id and email of {prefix}users, and two usermeta values. */
export interface WpUser {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
}

const NAME_KEYS = ['first_name', 'last_name'];

function metaByUser(rows: RowDataPacket[]): Map<number, { first_name?: string; last_name?: string }> {
  const byUser = new Map<number, { first_name?: string; last_name?: string }>();
  for (const row of rows) {
    const id = Number(row.user_id);
    const entry = byUser.get(id) ?? {};
    const key = String(row.meta_key) as 'first_name' | 'last_name';
    // Like get_user_meta($id, $key, true): the first row (lowest umeta_id) wins.
    if (entry[key] === undefined) entry[key] = row.meta_value === null ? '' : String(row.meta_value);
    byUser.set(id, entry);
  }
  return byUser;
}

function toUser(row: RowDataPacket, meta?: { first_name?: string; last_name?: string }): WpUser {
  return {
    id: Number(row.ID),
    email: String(row.user_email ?? ''),
    firstName: meta?.first_name ?? '',
    lastName: meta?.last_name ?? '',
  };
}

export class WpUsersRepository {
  constructor(private readonly tables: WpTables) {}

  /** The user and its name meta in one statement (one row per meta row, at least one); read with userFromRows. */
  findByIdStatement(id: number): Statement {
    return {
      sql: `SELECT u.ID, u.user_email, m.user_id, m.meta_key, m.meta_value
         FROM ${this.tables.users} u
         LEFT JOIN ${this.tables.usermeta} m ON m.user_id = u.ID AND m.meta_key IN (?)
        WHERE u.ID = ? ORDER BY m.umeta_id`,
      values: [NAME_KEYS, id],
    };
  }

  userFromRows(result: unknown, id: number): WpUser | null {
    const rows = result as RowDataPacket[];
    if (rows.length === 0) return null;
    return toUser(rows[0], metaByUser(rows.filter((r) => r.meta_key !== null)).get(id));
  }

  /** Up to `limit` users with ID > afterId, in ID order (keyset pagination), with their names. */
  async listAfter(db: Db, afterId: number, limit: number): Promise<WpUser[]> {
    const [users] = await db.query<RowDataPacket[]>(this.pageSql(), [afterId, limit]);
    return this.withNames(db, users);
  }

  /** The users with these ids that exist, in ID order, with their names. */
  async findManyByIds(db: Db, ids: number[]): Promise<WpUser[]> {
    if (ids.length === 0) return [];
    const [users] = await db.query<RowDataPacket[]>(
      `SELECT ID, user_email FROM ${this.tables.users} WHERE ID IN (?) ORDER BY ID`,
      [ids],
    );
    // Ids of a batch of events are scattered: their names by id, not by id range.
    return this.withNames(db, users, 'ids');
  }

  /**
   * listAfter, and the database's clock just before the read (`readAt`): a reader that reads
   * users ahead of locking them can tell which were changed since by a transaction that
   * recorded a later time.
   */
  async readPage(db: Db, afterId: number, limit: number): Promise<{ users: WpUser[]; readAt: Date }> {
    const [[clock, users]] = (await db.query<RowDataPacket[][]>(
      `SELECT NOW(3) AS read_at; ${this.pageSql()}`,
      [afterId, limit],
    )) as unknown as [[RowDataPacket[], RowDataPacket[]]];
    const readAt = clock[0].read_at as Date;
    return { users: await this.withNames(db, users), readAt };
  }

  /** Up to `limit` users with ID > afterId (bound in that order). */
  private pageSql(): string {
    return `SELECT ID, user_email FROM ${this.tables.users} WHERE ID > ? ORDER BY ID LIMIT ?`;
  }

  /** The users' rows with their name meta, read by the users' id range (a page) or by their ids. */
  private async withNames(db: Db, users: RowDataPacket[], by: 'range' | 'ids' = 'range'): Promise<WpUser[]> {
    if (users.length === 0) return [];
    const bounds = by === 'ids' ? [users.map((u) => Number(u.ID))] : [Number(users[0].ID), Number(users[users.length - 1].ID)];
    // ORDER BY user_id, umeta_id: the order of the user_id index (InnoDB appends the primary
    // key), so the rows are read in index order without a sort; within a user it is still
    // umeta_id order, which is all metaByUser needs (the first row per key wins).
    const [meta] = await db.query<RowDataPacket[]>(
      `SELECT user_id, meta_key, meta_value FROM ${this.tables.usermeta}
        WHERE user_id ${by === 'ids' ? 'IN (?)' : 'BETWEEN ? AND ?'} AND meta_key IN (?) ORDER BY user_id, umeta_id`,
      [...bounds, NAME_KEYS],
    );
    const byUser = metaByUser(meta);
    return users.map((row) => toUser(row, byUser.get(Number(row.ID))));
  }

  async count(db: Db): Promise<number> {
    const [rows] = await db.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${this.tables.users}`);
    return Number(rows[0].n);
  }

  async listIdsAfter(db: Db, afterId: number, limit: number): Promise<number[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ID FROM ${this.tables.users} WHERE ID > ? ORDER BY ID LIMIT ?`,
      [afterId, limit],
    );
    return rows.map((r) => Number(r.ID));
  }
}
