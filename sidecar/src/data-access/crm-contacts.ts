import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

export interface Contact {
  id: number;
  contactType: string;
  isDeleted: boolean;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  sortName: string | null;
}

export interface ContactEmail {
  id: number;
  contactId: number;
  email: string;
  isPrimary: boolean;
}

/** A contact holding an address that the database collation calls equal to the one looked up. */
export interface CandidateRow {
  contactId: number;
  email: string;
  isPrimary: boolean;
  linkedInDomain: boolean;
}

export interface NewContact {
  contactType: string;
  firstName: string | null;
  lastName: string | null;
  displayName: string;
  sortName: string;
  hash: string;
  source: string;
}

export interface ContactNames {
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  sortName: string | null;
}

const DEFAULT_LOCATION_TYPE_ID = 1;

function toContact(row: RowDataPacket): Contact {
  return {
    id: Number(row.id),
    contactType: String(row.contact_type ?? ''),
    isDeleted: Number(row.is_deleted) === 1,
    firstName: row.first_name ?? null,
    lastName: row.last_name ?? null,
    displayName: row.display_name ?? null,
    sortName: row.sort_name ?? null,
  };
}

export class CrmContactsRepository {
  async findById(db: Db, id: number): Promise<Contact | null> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, contact_type, is_deleted, first_name, last_name, display_name, sort_name
         FROM civicrm_contact WHERE id = ?`,
      [id],
    );
    return rows.length ? toContact(rows[0]) : null;
  }

  /**
   * Email rows of live contacts of the given type whose address equals `emails` under the
   * column's collation (uses the UI_email index). The collation is wider than "the same
   * address" (it folds accents), so callers narrow the result by exact comparison.
   */
  async findCandidateRows(db: Db, emails: string[], contactType: string, domainId: number): Promise<CandidateRow[]> {
    if (emails.length === 0) return [];
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT e.contact_id, e.email, e.is_primary,
              EXISTS (SELECT 1 FROM civicrm_uf_match m
                       WHERE m.contact_id = e.contact_id AND m.domain_id = ?) AS linked
         FROM civicrm_email e
         JOIN civicrm_contact c ON c.id = e.contact_id
        WHERE e.email IN (?) AND c.is_deleted = 0 AND c.contact_type = ?`,
      [domainId, emails, contactType],
    );
    return rows.map((r) => ({
      contactId: Number(r.contact_id),
      email: String(r.email ?? ''),
      isPrimary: Number(r.is_primary) === 1,
      linkedInDomain: Number(r.linked) === 1,
    }));
  }

  async insert(db: Db, contact: NewContact): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO civicrm_contact
         (contact_type, first_name, last_name, display_name, sort_name, hash, source, created_date)
       VALUES (?, ?, ?, ?, ?, ?, ?, NOW())`,
      [
        contact.contactType,
        contact.firstName,
        contact.lastName,
        contact.displayName,
        contact.sortName,
        contact.hash,
        contact.source,
      ],
    );
    return result.insertId;
  }

  async updateNames(db: Db, contactId: number, names: ContactNames): Promise<void> {
    await db.query(
      `UPDATE civicrm_contact SET first_name = ?, last_name = ?, display_name = ?, sort_name = ? WHERE id = ?`,
      [names.firstName, names.lastName, names.displayName, names.sortName, contactId],
    );
  }

  async listEmails(db: Db, contactId: number): Promise<ContactEmail[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, contact_id, email, is_primary FROM civicrm_email WHERE contact_id = ? ORDER BY id`,
      [contactId],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      contactId: Number(r.contact_id),
      email: String(r.email ?? ''),
      isPrimary: Number(r.is_primary) === 1,
    }));
  }

  async insertEmail(db: Db, contactId: number, email: string, isPrimary: boolean): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (?, ?, ?, ?)`,
      [contactId, DEFAULT_LOCATION_TYPE_ID, email, isPrimary ? 1 : 0],
    );
    return result.insertId;
  }

  /** Makes `emailId` the contact's only primary email. */
  async setPrimaryEmail(db: Db, contactId: number, emailId: number): Promise<void> {
    await db.query(`UPDATE civicrm_email SET is_primary = IF(id = ?, 1, 0) WHERE contact_id = ?`, [
      emailId,
      contactId,
    ]);
  }

  async setEmailAddress(db: Db, emailId: number, email: string): Promise<void> {
    await db.query(`UPDATE civicrm_email SET email = ? WHERE id = ?`, [email, emailId]);
  }
}
