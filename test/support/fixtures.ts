/** Rows a test needs, written the way WordPress and CiviCRM write them. */
import type { Pool, ResultSetHeader } from 'mysql2/promise';
import { rows } from './database';

export interface UserSpec {
  id?: number;
  email?: string;
  login?: string;
  firstName?: string;
  lastName?: string;
}

let loginCounter = 0;

export async function insertUser(pool: Pool, prefix: string, spec: UserSpec): Promise<number> {
  loginCounter += 1;
  const login = spec.login ?? `user${loginCounter}_${Date.now() % 100000}`;
  const [result] = await pool.query<ResultSetHeader>(
    `INSERT INTO \`${prefix}users\` (${spec.id ? 'ID, ' : ''}user_login, user_pass, user_nicename, user_email, user_registered, display_name)
     VALUES (${spec.id ? '?, ' : ''}?, '', ?, ?, NOW(), ?)`,
    [...(spec.id ? [spec.id] : []), login, login.slice(0, 50), spec.email ?? '', login],
  );
  const id = spec.id ?? result.insertId;
  for (const [key, value] of [
    ['first_name', spec.firstName],
    ['last_name', spec.lastName],
    ['nickname', login],
  ] as const) {
    // WordPress writes first_name/last_name meta for every user, empty when not given.
    await pool.query(`INSERT INTO \`${prefix}usermeta\` (user_id, meta_key, meta_value) VALUES (?, ?, ?)`, [
      id,
      key,
      value ?? '',
    ]);
  }
  return id;
}

export async function updateUser(pool: Pool, prefix: string, id: number, spec: UserSpec): Promise<void> {
  if (spec.email !== undefined) {
    await pool.query(`UPDATE \`${prefix}users\` SET user_email = ? WHERE ID = ?`, [spec.email, id]);
  }
  for (const [key, value] of [
    ['first_name', spec.firstName],
    ['last_name', spec.lastName],
  ] as const) {
    if (value === undefined) continue;
    await pool.query(`UPDATE \`${prefix}usermeta\` SET meta_value = ? WHERE user_id = ? AND meta_key = ?`, [value, id, key]);
  }
}

export async function deleteUser(pool: Pool, prefix: string, id: number): Promise<void> {
  await pool.query(`DELETE FROM \`${prefix}usermeta\` WHERE user_id = ?`, [id]);
  await pool.query(`DELETE FROM \`${prefix}users\` WHERE ID = ?`, [id]);
}

/** Multisite: makes the user a member of a site, as add_user_to_blog does (its capabilities meta). */
export async function joinBlog(pool: Pool, prefix: string, userId: number, blogId: number): Promise<void> {
  await pool.query(`INSERT INTO \`${prefix}usermeta\` (user_id, meta_key, meta_value) VALUES (?, ?, ?)`, [
    userId,
    blogId === 1 ? `${prefix}capabilities` : `${prefix}${blogId}_capabilities`,
    'a:1:{s:10:"subscriber";b:1;}',
  ]);
}

/** Multisite: removes the user from a site, as remove_user_from_blog does. */
export async function leaveBlog(pool: Pool, prefix: string, userId: number, blogId: number): Promise<void> {
  await pool.query(`DELETE FROM \`${prefix}usermeta\` WHERE user_id = ? AND meta_key = ?`, [userId, blogId === 1 ? `${prefix}capabilities` : `${prefix}${blogId}_capabilities`]);
}

export interface ContactSpec {
  contactType?: string;
  firstName?: string | null;
  lastName?: string | null;
  isDeleted?: boolean;
  /** Emails in order; the one marked primary (or the first, when none is) is primary. */
  emails?: Array<string | { email: string; primary?: boolean }>;
}

export async function insertContact(pool: Pool, spec: ContactSpec = {}): Promise<number> {
  const first = spec.firstName ?? null;
  const last = spec.lastName ?? null;
  const display = [first, last].filter(Boolean).join(' ') || null;
  const [result] = await pool.query<ResultSetHeader>(
    `INSERT INTO civicrm_contact (contact_type, first_name, last_name, display_name, sort_name, is_deleted, created_date)
     VALUES (?, ?, ?, ?, ?, ?, NOW())`,
    [spec.contactType ?? 'Individual', first, last, display, display, spec.isDeleted ? 1 : 0],
  );
  const contactId = result.insertId;
  const emails = (spec.emails ?? []).map((e) => (typeof e === 'string' ? { email: e, primary: undefined } : e));
  const anyPrimary = emails.some((e) => e.primary);
  for (const [i, e] of emails.entries()) {
    const primary = anyPrimary ? Boolean(e.primary) : i === 0;
    await pool.query(`INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (?, 1, ?, ?)`, [
      contactId,
      e.email,
      primary ? 1 : 0,
    ]);
  }
  return contactId;
}

export async function insertLink(pool: Pool, ufId: number, contactId: number, ufName: string | null, domainId = 1): Promise<void> {
  await pool.query(`INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (?, ?, ?, ?)`, [
    domainId,
    ufId,
    ufName,
    contactId,
  ]);
}

export interface LinkRow {
  uf_id: number;
  uf_name: string | null;
  contact_id: number | null;
  domain_id: number;
}

export async function linksOf(pool: Pool, ufId: number): Promise<LinkRow[]> {
  return rows<LinkRow>(pool, `SELECT uf_id, uf_name, contact_id, domain_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY id`, [ufId]);
}

export interface ContactRow {
  id: number;
  contact_type: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  sort_name: string | null;
  hash: string | null;
  source: string | null;
  is_deleted: number;
  created_date: Date | null;
}

export async function contact(pool: Pool, id: number): Promise<ContactRow | undefined> {
  const [row] = await rows<ContactRow>(pool, `SELECT * FROM civicrm_contact WHERE id = ?`, [id]);
  return row;
}

export async function emailsOf(pool: Pool, contactId: number): Promise<Array<{ email: string; is_primary: number; location_type_id: number }>> {
  return rows(pool, `SELECT email, is_primary, location_type_id FROM civicrm_email WHERE contact_id = ? ORDER BY id`, [contactId]);
}

export async function count(pool: Pool, table: string, where = '1=1', params: unknown[] = []): Promise<number> {
  const [row] = await rows<{ n: number }>(pool, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params);
  return Number(row.n);
}

/** Everything the bridge writes, for "nothing changed" assertions. */
export async function snapshot(pool: Pool): Promise<string> {
  const parts: unknown[] = [];
  for (const table of ['civicrm_contact', 'civicrm_email', 'civicrm_uf_match', 'contact_bridge_audit', 'contact_bridge_user_state']) {
    parts.push(await rows(pool, `SELECT * FROM ${table} ORDER BY 1, 2`));
  }
  return JSON.stringify(parts);
}

/**
 * Conditions for counting what users are linked to: Individuals and their email rows. A CiviCRM
 * database holds its own rows too (the "Default Organization" contact of a fresh install and its
 * email), which no count about users should include.
 */
export const INDIVIDUALS = "contact_type = 'Individual'";
export const EMAILS_OF_INDIVIDUALS = "contact_id IN (SELECT id FROM civicrm_contact WHERE contact_type = 'Individual')";
