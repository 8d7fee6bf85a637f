import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Statement } from '../lib/transaction';
import type { Db } from './pool';

/** What the linking rules read of a contact (its type is checked in SQL; display and sort names are only written). */
export interface Contact {
  id: number;
  isDeleted: boolean;
  firstName: string | null;
  lastName: string | null;
}

/** The columns toContact reads. */
const CONTACT_COLUMNS = 'id, is_deleted, first_name, last_name';

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
    isDeleted: Number(row.is_deleted) === 1,
    firstName: row.first_name ?? null,
    lastName: row.last_name ?? null,
  };
}

function toEmail(r: RowDataPacket): ContactEmail {
  return { id: Number(r.id), contactId: Number(r.contact_id), email: String(r.email ?? ''), isPrimary: Number(r.is_primary) === 1 };
}

function toCandidateRow(r: RowDataPacket): CandidateRow {
  return {
    contactId: Number(r.contact_id),
    email: String(r.email ?? ''),
    isPrimary: Number(r.is_primary) === 1,
    linkedInDomain: Number(r.linked) === 1,
  };
}

export class CrmContactsRepository {
  async findById(db: Db, id: number): Promise<Contact | null> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${CONTACT_COLUMNS} FROM civicrm_contact WHERE id = ?`,
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
    return rows.map(toCandidateRow);
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

  updateNamesStatement(contactId: number, names: ContactNames): Statement {
    return {
      sql: `UPDATE civicrm_contact SET first_name = ?, last_name = ?, display_name = ?, sort_name = ? WHERE id = ?`,
      values: [names.firstName, names.lastName, names.displayName, names.sortName, contactId],
    };
  }

  // ---- a user's reads for reconcileUser, as statements it sends in its round trips ----

  /** The contact of the user's first link (lowest id), if the link has one that exists. */
  linkedContactStatement(domainId: number, ufId: number): Statement {
    return {
      sql: `SELECT ${CONTACT_COLUMNS} FROM civicrm_contact
             WHERE id = (SELECT contact_id FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ? ORDER BY id LIMIT 1)`,
      values: [domainId, ufId],
    };
  }

  contactFromRows(result: unknown): Contact | null {
    const rows = result as RowDataPacket[];
    return rows.length ? toContact(rows[0]) : null;
  }

  /** The email rows of the contact of the user's first link. */
  linkedContactEmailsStatement(domainId: number, ufId: number): Statement {
    return {
      sql: `SELECT id, contact_id, email, is_primary FROM civicrm_email
             WHERE contact_id = (SELECT contact_id FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ? ORDER BY id LIMIT 1)
             ORDER BY id`,
      values: [domainId, ufId],
    };
  }

  emailsFromRows(result: unknown): ContactEmail[] {
    return (result as RowDataPacket[]).map(toEmail);
  }

  /** findCandidateRows for one address, with each candidate contact's row. */
  candidatesStatement(email: string, contactType: string, domainId: number): Statement {
    return {
      sql: `SELECT e.contact_id, e.email, e.is_primary,
                   EXISTS (SELECT 1 FROM civicrm_uf_match m
                            WHERE m.contact_id = e.contact_id AND m.domain_id = ?) AS linked,
                   c.id, c.is_deleted, c.first_name, c.last_name
              FROM civicrm_email e
              JOIN civicrm_contact c ON c.id = e.contact_id
             WHERE e.email = ? AND c.is_deleted = 0 AND c.contact_type = ?`,
      values: [domainId, email, contactType],
    };
  }

  candidatesFromRows(result: unknown): { rows: CandidateRow[]; contacts: Map<number, Contact> } {
    const rows = result as RowDataPacket[];
    return { rows: rows.map(toCandidateRow), contacts: new Map(rows.map((r) => [Number(r.id), toContact(r)])) };
  }

  async listEmails(db: Db, contactId: number): Promise<ContactEmail[]> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, contact_id, email, is_primary FROM civicrm_email WHERE contact_id = ? ORDER BY id`,
      [contactId],
    );
    return rows.map(toEmail);
  }

  insertEmailStatement(contactId: number, email: string, isPrimary: boolean): Statement {
    return {
      sql: `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (?, ?, ?, ?)`,
      values: [contactId, DEFAULT_LOCATION_TYPE_ID, email, isPrimary ? 1 : 0],
    };
  }

  /** Makes `emailId` the contact's only primary email. */
  setPrimaryEmailStatement(contactId: number, emailId: number): Statement {
    return { sql: `UPDATE civicrm_email SET is_primary = IF(id = ?, 1, 0) WHERE contact_id = ?`, values: [emailId, contactId] };
  }

  setEmailAddressStatement(emailId: number, email: string): Statement {
    return { sql: `UPDATE civicrm_email SET email = ? WHERE id = ?`, values: [email, emailId] };
  }

  // ---- set-based methods for the bulk sync (one statement per chunk each) ----

  async findManyById(db: Db, ids: number[]): Promise<Map<number, Contact>> {
    if (ids.length === 0) return new Map();
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT ${CONTACT_COLUMNS} FROM civicrm_contact WHERE id IN (?)`,
      [ids],
    );
    return new Map(rows.map((r) => [Number(r.id), toContact(r)]));
  }

  /**
   * Inserts the contacts with one statement and returns their ids in the same order. The ids
   * are read back by each contact's random `hash` (indexed): a multi-row INSERT's ids need
   * not be consecutive (innodb_autoinc_lock_mode = 2, Galera's auto_increment_increment), and
   * MySQL has no INSERT … RETURNING.
   */
  async insertMany(db: Db, contacts: NewContact[]): Promise<number[]> {
    if (contacts.length === 0) return [];
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO civicrm_contact
         (contact_type, first_name, last_name, display_name, sort_name, hash, source, created_date)
       VALUES ${contacts.map(() => '(?, ?, ?, ?, ?, ?, ?, NOW())').join(', ')}`,
      contacts.flatMap((c) => [c.contactType, c.firstName, c.lastName, c.displayName, c.sortName, c.hash, c.source]),
    );
    // Usually the ids are the next ones from insertId on: read that primary-key range and
    // check every hash; only when they are not (interleaved inserts, an increment > 1 that
    // let other rows in) look each contact up by its hash.
    const [range] = await db.query<RowDataPacket[]>(
      `SELECT id, hash FROM civicrm_contact WHERE id >= ? ORDER BY id LIMIT ?`,
      [result.insertId, contacts.length],
    );
    if (range.length === contacts.length && range.every((r, i) => r.hash === contacts[i].hash)) {
      return range.map((r) => Number(r.id));
    }
    const [rows] = await db.query<RowDataPacket[]>(`SELECT id, hash FROM civicrm_contact WHERE hash IN (?)`, [
      contacts.map((c) => c.hash),
    ]);
    const byHash = new Map(rows.map((r) => [String(r.hash), Number(r.id)]));
    return contacts.map((c) => {
      const id = byHash.get(c.hash);
      if (id === undefined) throw new Error(`inserted contact with hash ${c.hash} not found`);
      return id;
    });
  }

  /** Email rows of these contacts, by contact, each list in id order. */
  async listEmailsOf(db: Db, contactIds: number[]): Promise<Map<number, ContactEmail[]>> {
    const byContact = new Map<number, ContactEmail[]>();
    if (contactIds.length === 0) return byContact;
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT id, contact_id, email, is_primary FROM civicrm_email WHERE contact_id IN (?) ORDER BY id`,
      [contactIds],
    );
    for (const r of rows) {
      const email = toEmail(r);
      const list = byContact.get(email.contactId) ?? [];
      list.push(email);
      byContact.set(email.contactId, list);
    }
    return byContact;
  }

  async insertEmails(db: Db, emails: Array<{ contactId: number; email: string; isPrimary: boolean }>): Promise<void> {
    if (emails.length === 0) return;
    await db.query(
      `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES ${emails.map(() => '(?, ?, ?, ?)').join(', ')}`,
      emails.flatMap((e) => [e.contactId, DEFAULT_LOCATION_TYPE_ID, e.email, e.isPrimary ? 1 : 0]),
    );
  }

  /** For each contact, makes the given email row its only primary one. */
  async setPrimaryEmails(db: Db, choices: Array<{ contactId: number; emailId: number }>): Promise<void> {
    if (choices.length === 0) return;
    await db.query(`UPDATE civicrm_email SET is_primary = IF(id IN (?), 1, 0) WHERE contact_id IN (?)`, [
      choices.map((c) => c.emailId),
      choices.map((c) => c.contactId),
    ]);
  }

  async setEmailAddresses(db: Db, changes: Array<{ emailId: number; email: string }>): Promise<void> {
    for (let i = 0; i < changes.length; i += CASE_BATCH) {
      const part = changes.slice(i, i + CASE_BATCH);
      await db.query(
        `UPDATE civicrm_email SET email = CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (?)`,
        [...part.flatMap((c) => [c.emailId, c.email]), part.map((c) => c.emailId)],
      );
    }
  }

  async updateNamesMany(db: Db, updates: Array<{ contactId: number; names: ContactNames }>): Promise<void> {
    for (let i = 0; i < updates.length; i += CASE_BATCH) {
      const part = updates.slice(i, i + CASE_BATCH);
      const column = (pick: (n: ContactNames) => string | null) => ({
        sql: `CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END`,
        params: part.flatMap((u) => [u.contactId, pick(u.names)]),
      });
      const cols = [
        column((n) => n.firstName),
        column((n) => n.lastName),
        column((n) => n.displayName),
        column((n) => n.sortName),
      ];
      await db.query(
        `UPDATE civicrm_contact SET first_name = ${cols[0].sql}, last_name = ${cols[1].sql},
                display_name = ${cols[2].sql}, sort_name = ${cols[3].sql}
          WHERE id IN (?)`,
        [...cols.flatMap((c) => c.params), part.map((u) => u.contactId)],
      );
    }
  }
}

/** Rows per multi-row CASE update: the server evaluates the CASE per row, so keep it bounded. */
const CASE_BATCH = 1000;
