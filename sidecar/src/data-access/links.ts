import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

/** A row of civicrm_uf_match. */
export interface Link {
  id: number;
  domainId: number;
  ufId: number;
  ufName: string | null;
  contactId: number | null;
}

function toLink(row: RowDataPacket): Link {
  return {
    id: Number(row.id),
    domainId: Number(row.domain_id),
    ufId: Number(row.uf_id),
    ufName: row.uf_name === null ? null : String(row.uf_name),
    contactId: row.contact_id === null ? null : Number(row.contact_id),
  };
}

const COLUMNS = 'id, domain_id, uf_id, uf_name, contact_id';

export class LinksRepository {
  /** Every link of this user in the domain, oldest first (legacy databases may hold several). */
  async findByUser(db: Db, domainId: number, ufId: number): Promise<Link[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ? ORDER BY id`,
      [domainId, ufId],
    );
    return rows.map(toLink);
  }

  /** Links of other users whose uf_name the unique (uf_name, domain_id) index would call equal. */
  async findOthersByUfName(db: Db, domainId: number, ufName: string, exceptUfId: number): Promise<Link[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_name = ? AND uf_id <> ? ORDER BY id`,
      [domainId, ufName, exceptUfId],
    );
    return rows.map(toLink);
  }

  async findForUsers(db: Db, domainId: number, ufIds: number[]): Promise<Link[]> {
    if (ufIds.length === 0) return [];
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_id IN (?) ORDER BY id`,
      [domainId, ufIds],
    );
    return rows.map(toLink);
  }

  async insert(db: Db, link: Omit<Link, 'id'>): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (?, ?, ?, ?)`,
      [link.domainId, link.ufId, link.ufName, link.contactId],
    );
    return result.insertId;
  }

  async setUfName(db: Db, linkId: number, ufName: string | null): Promise<void> {
    await db.query(`UPDATE civicrm_uf_match SET uf_name = ? WHERE id = ?`, [ufName, linkId]);
  }

  async deleteByUser(db: Db, domainId: number, ufId: number): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `DELETE FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ?`,
      [domainId, ufId],
    );
    return result.affectedRows;
  }
}
