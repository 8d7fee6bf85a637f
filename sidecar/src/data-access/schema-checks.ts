import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

/** True when the domain row exists. */
export async function domainExists(db: Db, domainId: number): Promise<boolean> {
  const [rows] = await db.query<RowDataPacket[]>(`SELECT id FROM civicrm_domain WHERE id = ?`, [domainId]);
  return rows.length === 1;
}
