/**
 * Seeded random data sets for the bulk sync's equivalence test: shared addresses, case and
 * accent variants, contacts with several emails, trashed contacts, other contact types,
 * already-linked users (some with changed emails and names), users without email or names,
 * deleted users whose links remain. Written with plain statements, identically on any database.
 */
import type { Pool } from 'mysql2/promise';
import { insertContact, insertUser } from './fixtures';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOCALS = ['ann', 'bob', 'cy', 'dee', 'eve', 'jose', 'josé', 'strasse', 'straße', 'kim'];
const DOMAINS = ['ex.org', 'ex.com'];
const FIRST = ['', '', 'Ann', 'Bob', 'Cy', 'Dee', 'José'];
const LAST = ['', '', 'Smith', 'Jones', 'Ngata', 'Ölz'];

export interface Scenario {
  userIds: number[];
  /** uf_ids of links whose user does not exist. */
  orphanIds: number[];
  maxContactId: number;
}

export async function writeScenario(pool: Pool, prefix: string, seed: number): Promise<Scenario> {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)];
  const address = () => `${pick(LOCALS)}@${pick(DOMAINS)}`;
  const variant = (email: string) => {
    const x = r();
    if (x < 0.2) return email.toUpperCase();
    if (x < 0.3) return `  ${email} `;
    if (x < 0.4) return email.charAt(0).toUpperCase() + email.slice(1);
    return email;
  };

  const contactIds: number[] = [];
  const contactCount = 4 + Math.floor(r() * 14);
  for (let i = 0; i < contactCount; i++) {
    const emails: Array<{ email: string; primary?: boolean }> = [];
    const n = Math.floor(r() * 4);
    const primaryAt = r() < 0.15 ? -1 : Math.floor(r() * Math.max(1, n));
    for (let j = 0; j < n; j++) emails.push({ email: variant(address()), primary: j === primaryAt });
    if (emails.length > 0 && primaryAt === -1) emails.forEach((e) => (e.primary = false));
    const type = r() < 0.8 ? 'Individual' : pick(['Organization', 'Household']);
    const id = await insertContact(pool, {
      contactType: type,
      firstName: r() < 0.5 ? pick(FIRST.filter(Boolean)) : null,
      lastName: r() < 0.5 ? pick(LAST.filter(Boolean)) : null,
      isDeleted: r() < 0.12,
      emails: emails.length > 0 && primaryAt === -1 ? emails.map((e) => ({ email: e.email, primary: false })) : emails,
    });
    if (emails.length > 0 && primaryAt === -1) await pool.query(`UPDATE civicrm_email SET is_primary = 0 WHERE contact_id = ?`, [id]);
    contactIds.push(id);
  }

  const userIds: number[] = [];
  const orphanIds: number[] = [];
  const userCount = 8 + Math.floor(r() * 30);
  let id = 0;
  for (let i = 0; i < userCount; i++) {
    id += 1 + Math.floor(r() * 3);
    if (r() < 0.12) {
      orphanIds.push(id); // a user that was deleted: no row, but maybe still a link
      id += 1;
    }
    const x = r();
    const email = x < 0.75 ? variant(address()) : x < 0.85 ? '' : x < 0.9 ? '   ' : `solo${i}@ex.net`;
    // Now and then a name longer than civicrm_contact.first_name holds (a storage problem: skipped).
    const firstName = r() < 0.04 ? 'N'.repeat(70) : pick(FIRST);
    userIds.push(await insertUser(pool, prefix, { id, login: `u${id}`, email, firstName, lastName: pick(LAST) }));
  }
  if (r() < 0.5) orphanIds.push(id + 1 + Math.floor(r() * 5)); // past the last user

  // Existing links: some users and every orphan; INSERT IGNORE keeps the unique keys.
  for (const ufId of [...userIds.filter(() => r() < 0.3), ...orphanIds]) {
    const contactId = pick(contactIds);
    const y = r();
    const ufName = y < 0.2 ? null : address();
    await pool.query(`INSERT IGNORE INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (1, ?, ?, ?)`, [
      ufId,
      y < 0.6 && ufName !== null ? ufName : ufName === null ? null : ufName.toUpperCase(),
      contactId,
    ]);
  }
  return { userIds, orphanIds, maxContactId: Math.max(0, ...contactIds) };
}

export const SYNC_TABLES_TO_RESET = [
  'civicrm_uf_match',
  'civicrm_email',
  'civicrm_contact',
  'contact_bridge_user_state',
  'contact_bridge_audit',
  'contact_bridge_sync_run',
  'contact_bridge_lease',
];

export async function resetData(pool: Pool, prefix: string): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of [`${prefix}users`, `${prefix}usermeta`, ...SYNC_TABLES_TO_RESET]) await conn.query(`TRUNCATE TABLE \`${table}\``);
    await conn.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    conn.release();
  }
}

/** The bridge's end state, with new contacts named by the user linked to them. */
export async function canonicalState(pool: Pool, maxPreexistingContactId: number): Promise<unknown> {
  const [links] = await pool.query<any[]>(`SELECT uf_id, uf_name, contact_id FROM civicrm_uf_match ORDER BY uf_id, id`);
  const newName = new Map<number, string>();
  for (const l of links) if (l.contact_id > maxPreexistingContactId) newName.set(l.contact_id, `N(user ${l.uf_id})`);
  const canon = (id: number | null) =>
    id === null ? null : id <= maxPreexistingContactId ? `E${id}` : (newName.get(id) ?? `N(unlinked ${id})`);
  const [contacts] = await pool.query<any[]>(
    `SELECT id, contact_type, first_name, last_name, display_name, sort_name, organization_name, household_name,
            email_greeting_id, email_greeting_display, postal_greeting_id, postal_greeting_display, addressee_id, addressee_display,
            source, is_deleted, LENGTH(hash) AS hash_len FROM civicrm_contact ORDER BY id`,
  );
  const [emails] = await pool.query<any[]>(`SELECT contact_id, email, is_primary, location_type_id FROM civicrm_email ORDER BY contact_id, id`);
  const [states] = await pool.query<any[]>(
    `SELECT uf_id, last_action, contact_id, reason, applied_email, applied_first_name, applied_last_name FROM contact_bridge_user_state ORDER BY uf_id`,
  );
  const contactState = contacts
    .map((c) => ({
      id: canon(c.id),
      type: c.contact_type,
      first: c.first_name,
      last: c.last_name,
      display: c.display_name,
      sort: c.sort_name,
      named: [c.organization_name, c.household_name],
      greetings: [c.email_greeting_id, c.email_greeting_display, c.postal_greeting_id, c.postal_greeting_display, c.addressee_id, c.addressee_display],
      source: c.source,
      deleted: c.is_deleted,
      hash: c.hash_len,
      emails: emails.filter((e) => e.contact_id === c.id).map((e) => [e.email, e.is_primary, e.location_type_id]),
    }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return {
    links: links.map((l) => [l.uf_id, l.uf_name, canon(l.contact_id)]),
    contacts: contactState,
    states: states.map((s) => [s.uf_id, s.last_action, canon(s.contact_id), s.reason, s.applied_email, s.applied_first_name, s.applied_last_name]),
  };
}

/**
 * Edits between two syncs, the same on any database that ended the first sync in the same state
 * (contacts are found through their links, never by id): staff edit linked contacts in the CRM
 * (a last name, the primary email, the case of a uf_name), and WordPress edits users (a first
 * name, an address, now and then a name back to the one the CRM changed).
 */
export async function editBetweenSyncs(pool: Pool, prefix: string, seed: number): Promise<void> {
  const r = rng(seed * 104729);
  const [links] = await pool.query<any[]>(`SELECT uf_id FROM civicrm_uf_match WHERE contact_id IS NOT NULL ORDER BY uf_id`);
  for (const { uf_id: ufId } of links) {
    const x = r();
    if (x < 0.2) {
      await pool.query(`UPDATE civicrm_contact c JOIN civicrm_uf_match m ON m.contact_id = c.id SET c.last_name = ? WHERE m.uf_id = ?`, [`Crm${ufId}`, ufId]);
    } else if (x < 0.3) {
      await pool.query(
        `UPDATE civicrm_email e JOIN civicrm_uf_match m ON m.contact_id = e.contact_id SET e.email = ? WHERE m.uf_id = ? AND e.is_primary = 1`,
        [`crm${ufId}@ex.org`, ufId],
      );
    } else if (x < 0.4) {
      await pool.query(`UPDATE civicrm_uf_match SET uf_name = UPPER(uf_name) WHERE uf_id = ?`, [ufId]);
    }
  }
  const [users] = await pool.query<any[]>(`SELECT ID FROM \`${prefix}users\` ORDER BY ID`);
  for (const { ID: id } of users) {
    const x = r();
    if (x < 0.2) {
      await pool.query(`UPDATE \`${prefix}usermeta\` SET meta_value = ? WHERE user_id = ? AND meta_key = 'first_name'`, [`Wp${id}`, id]);
    } else if (x < 0.3) {
      await pool.query(`UPDATE \`${prefix}users\` SET user_email = ? WHERE ID = ?`, [`moved${id}@ex.org`, id]);
    } else if (x < 0.35) {
      await pool.query(`UPDATE \`${prefix}usermeta\` SET meta_value = ? WHERE user_id = ? AND meta_key = 'last_name'`, [`Crm${id}`, id]);
    } else if (x < 0.4) {
      await pool.query(`UPDATE \`${prefix}users\` SET user_email = UPPER(user_email) WHERE ID = ?`, [id]);
    }
  }
}
