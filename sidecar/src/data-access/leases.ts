import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { LeaseStore } from '../domain/ports';
import { backoff, isRetryable, type Runner } from '../lib/transaction';
import type { Db } from './pool';

/** A mysql2 pool or connection (the migration runner, before the Database exists), or a Runner. */
type AnyDb = Db | Runner;

async function sql(db: AnyDb, text: string, values: unknown[]): Promise<unknown> {
  if ('run' in db) return (await db.run([{ sql: text, values }]))[0];
  const [result] = await db.query(text, values);
  return result;
}

const LEASE_ATTEMPTS = 5;

export const LEASE_TABLE_DDL = `CREATE TABLE IF NOT EXISTS contact_bridge_lease (
  name VARCHAR(64) NOT NULL,
  owner VARCHAR(128) NOT NULL,
  expires_at TIMESTAMP(3) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

/**
 * Leases: a row per singleton (the migration run, the scheduled sync, the bulk run of a
 * domain) naming its owner until it expires. A lease is a row with a primary key, so it is
 * correct on a multi-primary cluster, where named locks (GET_LOCK) are per server.
 * The owner renews it while working; a dead owner's lease expires and is taken over.
 */
export class LeasesRepository implements LeaseStore {
  /**
   * Takes the lease, or renews it when `owner` holds it already. True when `owner` holds it afterwards.
   * Replicas on several Galera nodes that reach for the row at once: the losers get a certification
   * failure (1213) or a duplicate key, and look again, finding the winner's row.
   */
  async acquire(db: AnyDb, name: string, owner: string, ttlSeconds: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryAcquire(db, name, owner, ttlSeconds);
      } catch (error) {
        if (attempt >= LEASE_ATTEMPTS || !isRetryable(error, true)) throw error;
        await backoff(attempt);
      }
    }
  }

  private async tryAcquire(db: AnyDb, name: string, owner: string, ttlSeconds: number): Promise<boolean> {
    // Portable upsert: VALUES() works on MariaDB and MySQL 8.0 (deprecated there, not removed);
    // MySQL's "AS new" row alias is not understood by MariaDB. `owner` is assigned first, so
    // the expires_at assignment sees whether this owner now holds the row.
    await sql(
      db,
      `INSERT INTO contact_bridge_lease (name, owner, expires_at)
       VALUES (?, ?, NOW(3) + INTERVAL ? SECOND)
       ON DUPLICATE KEY UPDATE
         owner = IF(owner = VALUES(owner) OR expires_at < NOW(3), VALUES(owner), owner),
         expires_at = IF(owner = VALUES(owner), VALUES(expires_at), expires_at)`,
      [name, owner, ttlSeconds],
    );
    const rows = (await sql(db, `SELECT owner FROM contact_bridge_lease WHERE name = ?`, [name])) as RowDataPacket[];
    return rows.length === 1 && rows[0].owner === owner;
  }

  /**
   * Takes the lease from `fromOwner` whatever its expiry (the caller has established that this
   * owner is dead, e.g. a process of this host that no longer exists). True when it worked.
   */
  async takeOver(db: AnyDb, name: string, fromOwner: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const result = (await sql(
      db,
      `UPDATE contact_bridge_lease SET owner = ?, expires_at = NOW(3) + INTERVAL ? SECOND WHERE name = ? AND owner = ?`,
      [owner, ttlSeconds, name, fromOwner],
    )) as ResultSetHeader;
    return result.affectedRows === 1;
  }

  async release(db: AnyDb, name: string, owner: string): Promise<void> {
    await sql(db, `DELETE FROM contact_bridge_lease WHERE name = ? AND owner = ?`, [name, owner]);
  }

  async holder(db: AnyDb, name: string): Promise<{ owner: string; expiresAt: Date } | null> {
    const rows = (await sql(
      db,
      `SELECT owner, expires_at FROM contact_bridge_lease WHERE name = ? AND expires_at >= NOW(3)`,
      [name],
    )) as RowDataPacket[];
    return rows.length ? { owner: String(rows[0].owner), expiresAt: new Date(rows[0].expires_at) } : null;
  }
}
