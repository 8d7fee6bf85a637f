import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { ContactColumns } from '../domain/engine/plan';
import type { NewContact } from '../domain/engine/contact-format';
import { GREETINGS, type CandidateRow, type Contact, type ContactEmail, type TrashFacts } from '../domain/model';
import { rowValues, type Query, type Runner, type Statement } from '../lib/transaction';
import { INSERT_BATCH, ufIdCondition, type UfIdSelector } from './links';

/** The columns toContact reads: what the rules compare, and (complete) what CiviCRM derives from the names. */
const COMPARED_COLUMNS = 'c.id, c.contact_type, c.is_deleted, c.first_name, c.last_name';
const CONTACT_COLUMNS = `${COMPARED_COLUMNS}, c.middle_name, c.prefix_id, c.suffix_id, c.display_name, c.sort_name,
  c.organization_name, c.household_name, ${GREETINGS.map((g) => `c.${g}_id, c.${g}_custom, c.${g}_display`).join(', ')}`;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const greeting = (row: RowDataPacket, kind: string) => ({ id: num(row[`${kind}_id`]), custom: str(row[`${kind}_custom`]), display: str(row[`${kind}_display`]) });
const NO_GREETING = Object.freeze({ id: null, custom: null, display: null });
const NO_GREETINGS: Contact['greetings'] = Object.freeze({ email_greeting: NO_GREETING, postal_greeting: NO_GREETING, addressee: NO_GREETING });

function toContact(row: RowDataPacket): Contact {
  if (row.sort_name === undefined) {
    // Only the compared columns were read.
    return {
      id: Number(row.id),
      contactType: String(row.contact_type ?? ''),
      isDeleted: Number(row.is_deleted) === 1,
      firstName: str(row.first_name),
      middleName: null,
      lastName: str(row.last_name),
      prefixId: null,
      suffixId: null,
      displayName: null,
      sortName: null,
      organizationName: null,
      householdName: null,
      greetings: NO_GREETINGS,
      complete: false,
    };
  }
  return {
    id: Number(row.id),
    contactType: String(row.contact_type ?? ''),
    isDeleted: Number(row.is_deleted) === 1,
    firstName: str(row.first_name),
    middleName: str(row.middle_name),
    lastName: str(row.last_name),
    prefixId: num(row.prefix_id),
    suffixId: num(row.suffix_id),
    displayName: str(row.display_name),
    sortName: str(row.sort_name),
    organizationName: str(row.organization_name),
    householdName: str(row.household_name),
    greetings: { email_greeting: greeting(row, 'email_greeting'), postal_greeting: greeting(row, 'postal_greeting'), addressee: greeting(row, 'addressee') },
    complete: true,
  };
}

function toEmail(r: RowDataPacket): ContactEmail {
  return { id: Number(r.id), contactId: Number(r.contact_id), email: String(r.email ?? ''), isPrimary: Number(r.is_primary) === 1 };
}

const asContacts = (r: unknown) => new Map((r as RowDataPacket[]).map((row) => [Number(row.id), toContact(row)]));

function byContact(rows: RowDataPacket[]): Map<number, ContactEmail[]> {
  const out = new Map<number, ContactEmail[]>();
  for (const r of rows) {
    const email = toEmail(r);
    const list = out.get(email.contactId) ?? [];
    list.push(email);
    out.set(email.contactId, list);
  }
  return out;
}
const asEmails = (r: unknown) => byContact(r as RowDataPacket[]);

const forUpdate = (lock: boolean) => (lock ? ' FOR UPDATE' : '');

/**
 * A derived table with a LIMIT is materialized, never merged into the outer query (MariaDB and
 * MySQL alike), and its rows are read without locks. So `SELECT STRAIGHT_JOIN … FROM (… MATERIALIZED)
 * d JOIN civicrm_contact c … FOR UPDATE` locks exactly the contacts found, by primary key: not
 * the link or email rows read to find them, nor the index records after them, where another
 * transaction may be inserting (a bulk chunk's locking reads would otherwise wait for the chunk
 * before it, and hooks for neighbouring users for each other).
 */
const MATERIALIZED = 'LIMIT 18446744073709551615';

/** civicrm_contact and civicrm_email. */
export class CrmContactsRepository {
  /**
   * The contacts the users' links point to, locked when `lock` (names are then written from a
   * read no CRM edit can slip under); `complete: false` reads only the compared columns. Only the contacts are locked: the links are read into a
   * derived table first (see MATERIALIZED), then the contacts by id.
   */
  linkedTo(domainId: number, selector: UfIdSelector, lock: boolean, complete = true): Query<Map<number, Contact>> {
    const where = ufIdCondition('uf_id', selector);
    return {
      statement: {
        sql: `SELECT STRAIGHT_JOIN ${complete ? CONTACT_COLUMNS : COMPARED_COLUMNS}
                FROM (SELECT contact_id FROM civicrm_uf_match WHERE domain_id = ? AND ${where.sql} ${MATERIALIZED}) l
                JOIN civicrm_contact c ON c.id = l.contact_id${forUpdate(lock)}`,
        values: [domainId, ...where.values],
      },
      parse: asContacts,
    };
  }

  /** The email rows (id order) of the contacts the users' links point to. */
  emailsOfLinked(domainId: number, selector: UfIdSelector): Query<Map<number, ContactEmail[]>> {
    const where = ufIdCondition('m.uf_id', selector);
    return {
      statement: {
        sql: `SELECT STRAIGHT_JOIN e.id, e.contact_id, e.email, e.is_primary FROM civicrm_uf_match m JOIN civicrm_email e ON e.contact_id = m.contact_id
               WHERE m.domain_id = ? AND ${where.sql} ORDER BY e.id`,
        values: [domainId, ...where.values],
      },
      parse: asEmails,
    };
  }

  byIds(ids: readonly number[], lock: boolean): Query<Map<number, Contact>> {
    return {
      statement: { sql: `SELECT ${CONTACT_COLUMNS} FROM civicrm_contact c WHERE c.id IN (?)${forUpdate(lock)}`, values: [ids.length ? ids : [0]] },
      parse: asContacts,
    };
  }

  emailsOf(contactIds: readonly number[]): Query<Map<number, ContactEmail[]>> {
    return {
      statement: { sql: `SELECT id, contact_id, email, is_primary FROM civicrm_email WHERE contact_id IN (?) ORDER BY id`, values: [contactIds.length ? contactIds : [0]] },
      parse: asEmails,
    };
  }

  /**
   * Email rows of live contacts of the type whose address equals one of `emails` under the
   * column's collation (the UI_email index), with their contacts (locked when `lock`: only the
   * contacts, see MATERIALIZED; the EXISTS subquery locks nothing either). The collation is wider
   * than "the same address" (it folds accents): the planner narrows it.
   */
  candidates(emails: readonly string[], contactType: string, domainId: number, lock: boolean): Query<{ rows: CandidateRow[]; contacts: Map<number, Contact> }> {
    return {
      statement: {
        sql: `SELECT STRAIGHT_JOIN e.contact_id, e.email, e.is_primary,
                     EXISTS (SELECT 1 FROM civicrm_uf_match m WHERE m.contact_id = e.contact_id AND m.domain_id = ?) AS linked,
                     ${CONTACT_COLUMNS}
                FROM (SELECT contact_id, email, is_primary FROM civicrm_email WHERE email IN (?) ${MATERIALIZED}) e
                JOIN civicrm_contact c ON c.id = e.contact_id
               WHERE c.is_deleted = 0 AND c.contact_type = ?${forUpdate(lock)}`,
        values: [domainId, emails.length ? emails : [''], contactType],
      },
      parse: (result) => {
        const rows = emails.length ? (result as RowDataPacket[]) : [];
        return {
          rows: rows.map((r) => ({ contactId: Number(r.contact_id), email: String(r.email ?? ''), isPrimary: Number(r.is_primary) === 1, linkedInDomain: Number(r.linked) === 1 })),
          contacts: new Map(rows.map((r) => [Number(r.id), toContact(r)])),
        };
      },
    };
  }

  /**
   * Inserts the contacts and returns their ids in the same order: one round trip per thousand.
   * The ids are read back with LAST_INSERT_ID() (the first id of the multi-row INSERT) and checked
   * against each contact's random `hash`: they need not be consecutive (innodb_autoinc_lock_mode = 2,
   * Galera's auto_increment_increment), and MySQL has no INSERT … RETURNING. When they are not,
   * each contact is found by its hash (indexed).
   */
  async insertMany(db: Runner, contacts: readonly NewContact[]): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < contacts.length; i += INSERT_BATCH) {
      const part = contacts.slice(i, i + INSERT_BATCH);
      const insert: Statement = {
        sql: `INSERT INTO civicrm_contact
                (contact_type, first_name, last_name, organization_name, household_name, display_name, sort_name, hash, source, created_date,
                 email_greeting_id, email_greeting_display, postal_greeting_id, postal_greeting_display, addressee_id, addressee_display)
              VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(), ?, ?, ?, ?, ?, ?)').join(', ')}`,
        values: rowValues(part, (c) => [
          c.contactType,
          c.firstName,
          c.lastName,
          c.organizationName,
          c.householdName,
          c.displayName,
          c.sortName,
          c.hash,
          c.source,
          c.greetingIds.email_greeting,
          c.emailGreetingDisplay,
          c.greetingIds.postal_greeting,
          c.postalGreetingDisplay,
          c.greetingIds.addressee,
          c.addresseeDisplay,
        ]),
      };
      if (part.length === 1) {
        const [result] = await db.run([insert]);
        ids.push((result as ResultSetHeader).insertId);
        continue;
      }
      const [, range] = await db.run([insert, { sql: `SELECT id, hash FROM civicrm_contact WHERE id >= LAST_INSERT_ID() ORDER BY id LIMIT ?`, values: [part.length] }]);
      const rows = range as RowDataPacket[];
      if (rows.length === part.length && rows.every((r, k) => r.hash === part[k].hash)) {
        ids.push(...rows.map((r) => Number(r.id)));
        continue;
      }
      const [found] = await db.run([{ sql: `SELECT id, hash FROM civicrm_contact WHERE hash IN (?)`, values: [part.map((c) => c.hash)] }]);
      const byHash = new Map((found as RowDataPacket[]).map((r) => [String(r.hash), Number(r.id)]));
      for (const c of part) {
        const id = byHash.get(c.hash);
        if (id === undefined) throw new Error('an inserted contact was not found by its hash');
        ids.push(id);
      }
    }
    return ids;
  }

  insertEmails(emails: ReadonlyArray<{ contactId: number; email: string; isPrimary: boolean }>, locationTypeId: number): Statement[] {
    const out: Statement[] = [];
    for (let i = 0; i < emails.length; i += INSERT_BATCH) {
      const part = emails.slice(i, i + INSERT_BATCH);
      out.push({
        sql: `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`,
        values: rowValues(part, (e) => [e.contactId, locationTypeId, e.email, e.isPrimary ? 1 : 0]),
      });
    }
    return out;
  }

  /** For each contact, makes the given email row its only primary one. */
  /**
   * What the deletion policy reads of deleted users' contacts: their source, and how many links
   * (any domain) other than those users' links in this domain point to them.
   */
  trashFacts(contactIds: readonly number[], domainId: number, goneUfIds: readonly number[]): Query<Map<number, TrashFacts>> {
    return {
      statement: {
        sql: `SELECT c.id, c.source,
                     (SELECT COUNT(*) FROM civicrm_uf_match m WHERE m.contact_id = c.id AND NOT (m.domain_id = ? AND m.uf_id IN (?))) AS other_links
                FROM civicrm_contact c WHERE c.id IN (?)`,
        values: [domainId, goneUfIds.length ? goneUfIds : [0], contactIds.length ? contactIds : [0]],
      },
      parse: (result) =>
        new Map((result as RowDataPacket[]).map((r) => [Number(r.id), { source: r.source === null ? null : String(r.source), otherLinks: Number(r.other_links) }])),
    };
  }

  /** Moves contacts to the trash (never a hard delete). */
  trash(contactIds: readonly number[]): Statement[] {
    return contactIds.length === 0 ? [] : [{ sql: 'UPDATE civicrm_contact SET is_deleted = 1 WHERE id IN (?) AND is_deleted = 0', values: [contactIds] }];
  }

  setPrimaryEmails(choices: ReadonlyArray<{ contactId: number; emailId: number }>): Statement[] {
    if (choices.length === 0) return [];
    return [
      {
        sql: `UPDATE civicrm_email SET is_primary = IF(id IN (?), 1, 0) WHERE contact_id IN (?)`,
        values: [choices.map((c) => c.emailId), choices.map((c) => c.contactId)],
      },
    ];
  }

  setEmailAddresses(changes: ReadonlyArray<{ emailId: number; email: string }>): Statement[] {
    if (changes.length === 1) return [{ sql: `UPDATE civicrm_email SET email = ? WHERE id = ?`, values: [changes[0].email, changes[0].emailId] }];
    return caseUpdates('civicrm_email', changes.map((c) => ({ id: c.emailId, values: { email: c.email } })));
  }

  /** Writes the columns the rules changed (names and what CiviCRM derives from them). */
  updateColumns(updates: ReadonlyArray<{ contactId: number; columns: ContactColumns }>): Statement[] {
    return caseUpdates(
      'civicrm_contact',
      updates.map((u) => ({
        id: u.contactId,
        values: {
          first_name: u.columns.firstName,
          last_name: u.columns.lastName,
          organization_name: u.columns.organizationName,
          household_name: u.columns.householdName,
          display_name: u.columns.displayName,
          sort_name: u.columns.sortName,
          email_greeting_display: u.columns.emailGreetingDisplay,
          postal_greeting_display: u.columns.postalGreetingDisplay,
          addressee_display: u.columns.addresseeDisplay,
        },
      })),
    );
  }
}

/**
 * Sets columns of many rows of a table by id: a plain UPDATE for one row, else one
 * `SET col = CASE id WHEN … END` statement per thousand rows (every row sets the same columns).
 */
function caseUpdates(table: 'civicrm_contact' | 'civicrm_email', rows: ReadonlyArray<{ id: number; values: Record<string, unknown> }>): Statement[] {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0].values);
  if (rows.length === 1) {
    return [{ sql: `UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, values: [...columns.map((c) => rows[0].values[c]), rows[0].id] }];
  }
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += CASE_BATCH) {
    const part = rows.slice(i, i + CASE_BATCH);
    const when = part.map(() => 'WHEN ? THEN ?').join(' ');
    out.push({
      sql: `UPDATE ${table} SET ${columns.map((c) => `${c} = CASE id ${when} END`).join(', ')} WHERE id IN (?)`,
      values: [...rowValues(columns, (c) => rowValues(part, (r) => [r.id, r.values[c]])), part.map((r) => r.id)],
    });
  }
  return out;
}

/** Rows per multi-row CASE update: the server evaluates the CASE per row, so keep it bounded. */
const CASE_BATCH = 1000;
