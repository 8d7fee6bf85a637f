import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Statement } from '../lib/transaction';
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
  /**
   * This user's links, oldest first (legacy databases may hold several), and the links of other
   * users whose uf_name the unique (uf_name, domain_id) index calls equal to `ufName` (when
   * given); read with ownAndHoldersFromRows.
   */
  forUserAndUfNameStatement(domainId: number, ufId: number, ufName: string | null): Statement {
    return ufName === null
      ? { sql: `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ? ORDER BY id`, values: [domainId, ufId] }
      : {
          sql: `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND (uf_id = ? OR uf_name = ?) ORDER BY id`,
          values: [domainId, ufId, ufName],
        };
  }

  ownAndHoldersFromRows(result: unknown, ufId: number): { own: Link[]; holders: Link[] } {
    const links = (result as RowDataPacket[]).map(toLink);
    return { own: links.filter((l) => l.ufId === ufId), holders: links.filter((l) => l.ufId !== ufId) };
  }

  async findForUsers(db: Db, domainId: number, ufIds: number[]): Promise<Link[]> {
    if (ufIds.length === 0) return [];
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_id IN (?) ORDER BY id`,
      [domainId, ufIds],
    );
    return rows.map(toLink);
  }

  // ---- single-user writes, as statements for the reconcile transaction's batches ----

  insertStatement(link: Omit<Link, 'id'>): Statement {
    return {
      sql: `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (?, ?, ?, ?)`,
      values: [link.domainId, link.ufId, link.ufName, link.contactId],
    };
  }

  setUfNameStatement(linkId: number, ufName: string | null): Statement {
    return { sql: `UPDATE civicrm_uf_match SET uf_name = ? WHERE id = ?`, values: [ufName, linkId] };
  }

  deleteByUserStatement(domainId: number, ufId: number): Statement {
    return { sql: `DELETE FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ?`, values: [domainId, ufId] };
  }

  // ---- set-based methods for the bulk sync (one statement per chunk each) ----

  /** Links in the domain with afterUfId < uf_id <= upToUfId (no upper bound when null). */
  async findInRange(db: Db, domainId: number, afterUfId: number, upToUfId: number | null): Promise<Link[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      upToUfId === null
        ? `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_id > ? ORDER BY id`
        : `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_id > ? AND uf_id <= ? ORDER BY id`,
      upToUfId === null ? [domainId, afterUfId] : [domainId, afterUfId, upToUfId],
    );
    return rows.map(toLink);
  }

  /** Links whose uf_name the unique (uf_name, domain_id) index calls equal to one of `ufNames`. */
  async findByUfNames(db: Db, domainId: number, ufNames: string[]): Promise<Link[]> {
    if (ufNames.length === 0) return [];
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_name IN (?) ORDER BY id`,
      [domainId, ufNames],
    );
    return rows.map(toLink);
  }

  async deleteForUsers(db: Db, domainId: number, ufIds: number[]): Promise<number> {
    if (ufIds.length === 0) return 0;
    const [result] = await db.query<ResultSetHeader>(
      `DELETE FROM civicrm_uf_match WHERE domain_id = ? AND uf_id IN (?)`,
      [domainId, ufIds],
    );
    return result.affectedRows;
  }

  /**
   * Sets several links' uf_name. All are first set to NULL, then to their new values: the
   * unique (uf_name, domain_id) index is checked row by row, and one link may take an address
   * another link of the same statement gives up.
   */
  async setUfNames(db: Db, changes: Array<{ linkId: number; ufName: string | null }>): Promise<void> {
    if (changes.length === 0) return;
    await db.query(`UPDATE civicrm_uf_match SET uf_name = NULL WHERE id IN (?)`, [changes.map((c) => c.linkId)]);
    const named = changes.filter((c) => c.ufName !== null);
    for (let i = 0; i < named.length; i += CASE_BATCH) {
      const part = named.slice(i, i + CASE_BATCH);
      await db.query(
        `UPDATE civicrm_uf_match SET uf_name = CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (?)`,
        [...part.flatMap((c) => [c.linkId, c.ufName]), part.map((c) => c.linkId)],
      );
    }
  }

  async insertMany(db: Db, links: Array<Omit<Link, 'id'>>): Promise<void> {
    if (links.length === 0) return;
    await db.query(
      `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES ${links.map(() => '(?, ?, ?, ?)').join(', ')}`,
      links.flatMap((l) => [l.domainId, l.ufId, l.ufName, l.contactId]),
    );
  }
}

/** Rows per multi-row CASE update: the server evaluates the CASE per row, so keep it bounded. */
const CASE_BATCH = 1000;
