import type { RowDataPacket } from 'mysql2/promise';
import type { LinkFacts, RangeFacts, SuspectUser } from '../domain/health/findings';
import type { CandidateRow, ContactEmail, ContactType, UserState } from '../domain/model';
import { normaliseEmail } from '../domain/normalise-email';
import type { HealthStore } from '../domain/ports';
import type { Database, Query, Runner } from '../lib/transaction';
import { bin, CollationKeys } from './collation-keys';
import { CrmContactsRepository } from './crm-contacts';
import { LinksRepository, ufIdCondition, type KeyedLink, type UfIdSelector } from './links';
import { isMemberSql, type WpTables } from './tables';
import { UserStateRepository } from './user-state';
import { WpUsersRepository } from './wp-users';

const rows = (r: unknown) => r as RowDataPacket[];
const ids = (text: unknown): number[] => (text === null || text === undefined ? [] : String(text).split(',').map(Number));

/**
 * The link health check's reads: set-based, one range of user ids at a time. The users table is
 * joined to the CRM tables on integer ids only, and texts are compared as bytes (bin), so the two
 * sides' collations never meet. The database drops the plainly healthy users (linked, live
 * contact, uf_name and primary email byte-equal to the user's address); the domain decides
 * about the rest.
 */
export class LinkHealthRepository implements HealthStore {
  private readonly contacts = new CrmContactsRepository();
  private readonly links = new LinksRepository();
  private readonly states = new UserStateRepository();
  private readonly keys = new CollationKeys();
  private readonly wpUsers: WpUsersRepository;

  constructor(private readonly tables: WpTables) {
    this.wpUsers = new WpUsersRepository(tables);
  }

  async rangeEnd(db: Runner, after: number, size: number): Promise<number | null> {
    const [end] = await db.read<[number | null]>({
      statement: { sql: `SELECT ID FROM ${this.tables.users} WHERE ID > ? ORDER BY ID LIMIT 1 OFFSET ?`, values: [after, Math.max(0, size - 1)] },
      parse: (r) => (rows(r).length === 0 ? null : Number(rows(r)[0].ID)),
    });
    return end;
  }

  /**
   * Users of the range not plainly healthy: unlinked, or a link whose contact is gone or trashed,
   * whose uf_name is not the user's address, or whose contact has not that address at all. A
   * contact whose primary email is another but which has the user's address too (matched by a
   * non-primary address, as CiviCRM does) is healthy. A user has a row per link and per primary
   * email of its contact (rows in link id, email id order); readRange keeps the first of its
   * oldest link.
   */
  private suspects(domainId: number, users: UfIdSelector): Query<RowDataPacket[]> {
    const where = ufIdCondition('u.ID', users);
    return {
      statement: {
        sql: `SELECT u.ID, u.user_email, m.id AS link_id, m.uf_name, m.contact_id, c.id AS found_contact, c.is_deleted, pe.email AS primary_email
                FROM ${this.tables.users} u
                LEFT JOIN civicrm_uf_match m ON m.uf_id = u.ID AND m.domain_id = ?
                LEFT JOIN civicrm_contact c ON c.id = m.contact_id
                LEFT JOIN civicrm_email pe ON pe.contact_id = m.contact_id AND pe.is_primary = 1
               WHERE ${where.sql}
                 AND (m.id IS NULL OR c.id IS NULL OR c.is_deleted = 1
                      OR NOT (${bin('m.uf_name')} <=> ${bin('u.user_email')})
                      OR (NOT (${bin('pe.email')} <=> ${bin('u.user_email')})
                          AND NOT EXISTS (SELECT 1 FROM civicrm_email e WHERE e.contact_id = m.contact_id AND ${bin('e.email')} = ${bin('u.user_email')})))
               ORDER BY u.ID, m.id, pe.id`,
        values: [domainId, ...where.values],
      },
      parse: rows,
    };
  }

  /** Links whose user is gone, or (memberBlogs given) is a member of none of those sites. */
  private goneLinks(domainId: number, users: UfIdSelector, memberBlogs: readonly number[] | null): Query<RangeFacts['goneLinks']> {
    const where = ufIdCondition('m.uf_id', users);
    const member = memberBlogs === null ? null : isMemberSql(this.tables, 'm.uf_id', memberBlogs);
    const left = member === null ? '' : ` OR NOT ${member.sql}`;
    return {
      statement: {
        sql: `SELECT m.id, m.uf_id, m.contact_id, u.ID AS user_id FROM civicrm_uf_match m LEFT JOIN ${this.tables.users} u ON u.ID = m.uf_id
               WHERE m.domain_id = ? AND ${where.sql} AND (u.ID IS NULL${left}) ORDER BY m.uf_id, m.id`,
        values: [domainId, ...where.values, ...(member === null ? [] : member.values)],
      },
      parse: (r) =>
        rows(r).map((x) => ({
          linkId: Number(x.id),
          ufId: Number(x.uf_id),
          contactId: x.contact_id === null ? null : Number(x.contact_id),
          ...(x.user_id === null ? {} : { left: true as const }),
        })),
    };
  }

  private duplicateLinks(domainId: number, users: UfIdSelector): Query<RangeFacts['duplicateLinks']> {
    const where = ufIdCondition('uf_id', users);
    return {
      statement: {
        sql: `SELECT uf_id, GROUP_CONCAT(id ORDER BY id) AS link_ids, GROUP_CONCAT(COALESCE(contact_id, 0) ORDER BY id) AS contact_ids
                FROM civicrm_uf_match WHERE domain_id = ? AND ${where.sql} GROUP BY uf_id HAVING COUNT(*) > 1 ORDER BY uf_id`,
        values: [domainId, ...where.values],
      },
      parse: (r) =>
        rows(r).map((x) => {
          const contacts = ids(x.contact_ids);
          return { ufId: Number(x.uf_id), links: ids(x.link_ids).map((linkId, i) => ({ linkId, contactId: contacts[i] ? contacts[i] : null })) };
        }),
    };
  }

  async readRange(db: Runner, domainId: number, contactType: ContactType, users: UfIdSelector, memberBlogs: readonly number[] | null = null): Promise<RangeFacts> {
    const [allRows, goneLinks, duplicateLinks] = await db.read(this.suspects(domainId, users), this.goneLinks(domainId, users, memberBlogs), this.duplicateLinks(domainId, users));
    // One row per user: its oldest link's (the one the rules act on; a newer one is the
    // duplicate_user_link finding's), with its contact's first primary email.
    const oldest = new Map(duplicateLinks.map((d) => [d.ufId, d.links[0].linkId]));
    const seen = new Set<number>();
    const suspectRows = allRows.filter((r) => {
      const id = Number(r.ID);
      if (seen.has(id) || (r.link_id !== null && oldest.has(id) && oldest.get(id) !== Number(r.link_id))) return false;
      seen.add(id);
      return true;
    });
    const suspectIds = suspectRows.map((r) => Number(r.ID));
    const unlinked = suspectRows.filter((r) => r.link_id === null);
    const addresses = [...new Set(unlinked.map((r) => normaliseEmail(String(r.user_email ?? ''))).filter((e) => e !== ''))];
    // Names matter only to an unlinked user without an address (it is named by them, or has nothing to link).
    const nameless = unlinked.filter((r) => normaliseEmail(String(r.user_email ?? '')) === '').map((r) => Number(r.ID));
    // The email rows of linked contacts whose primary email is not the user's address.
    const emailContacts = [...new Set(suspectRows.filter((r) => r.found_contact !== null).map((r) => Number(r.contact_id)))];
    let states = new Map<number, UserState>();
    let candidates: CandidateRow[] = [];
    let holders: KeyedLink[] = [];
    // Primary emails of linked contacts that are not their user's address: does a WordPress user have them?
    const primaries = [
      ...new Set(
        suspectRows
          .filter((r) => r.found_contact !== null && r.primary_email !== null && normaliseEmail(String(r.primary_email)) !== normaliseEmail(String(r.user_email ?? '')))
          .map((r) => normaliseEmail(String(r.primary_email))),
      ),
    ].filter((e) => e !== '');
    let emails = new Map<number, ContactEmail[]>();
    let wpHolders: Array<{ id: number; email: string }> = [];
    let members: Set<number> | null = null;
    if (suspectIds.length > 0) {
      const [s, c, h, e, w] = await db.read<[Map<number, UserState>, { rows: CandidateRow[] }, KeyedLink[], Map<number, ContactEmail[]>, Array<{ id: number; email: string }>]>(
        this.states.read(domainId, { ids: suspectIds }, false),
        this.contacts.candidates(addresses, contactType, domainId, false),
        this.links.holding(domainId, addresses),
        this.contacts.emailsOf(emailContacts),
        this.wpUsers.byEmails(primaries),
      );
      // Multisite: which suspects are members of the domain's sites (the others are not its users).
      if (memberBlogs !== null) [members] = await db.read(this.wpUsers.members({ ids: suspectIds }, memberBlogs));
      states = s;
      candidates = c.rows;
      holders = h;
      emails = e;
      wpHolders = w;
    }
    const keyOf = await this.addressKeys(db, addresses, holders);
    const names = new Map((await this.wpUsers.findManyByIds(db, nameless)).map((u) => [u.id, u]));
    const suspects: SuspectUser[] = suspectRows.map((r) => {
      const id = Number(r.ID);
      const link: LinkFacts | null =
        r.link_id === null
          ? null
          : {
              linkId: Number(r.link_id),
              ufName: r.uf_name === null ? null : String(r.uf_name),
              contactId: r.contact_id === null ? null : Number(r.contact_id),
              contactExists: r.found_contact !== null,
              contactDeleted: Number(r.is_deleted) === 1,
              primaryEmail: r.primary_email === null ? '' : String(r.primary_email),
              emails: (emails.get(Number(r.contact_id)) ?? []).map((x) => x.email),
              primaryHeldBy:
                r.primary_email === null ? [] : wpHolders.filter((w) => normaliseEmail(w.email) === normaliseEmail(String(r.primary_email))).map((w) => w.id),
            };
      const named = names.get(id);
      return {
        user: { id, email: String(r.user_email ?? ''), firstName: named?.firstName ?? '', lastName: named?.lastName ?? '' },
        link,
        state: states.get(id),
        ...(members !== null && !members.has(id) ? { notMember: true as const } : {}),
      };
    });
    return { suspects, goneLinks, duplicateLinks, candidates, holders, keyOf };
  }

  /**
   * Keys of the addresses and the holders' uf_names as the unique (uf_name, domain_id) index
   * compares them (the engine's LinkBook uses the same): a round trip only when a text is not
   * printable ASCII.
   */
  private async addressKeys(db: Runner, addresses: readonly string[], holders: readonly KeyedLink[]): Promise<(text: string) => string> {
    const weights = this.keys.weightsQuery(addresses);
    const setup = weights !== null || holders.some((h) => h.weight !== null) ? this.keys.setupQueries() : [];
    const queries: Array<Query<unknown>> = [...setup, ...(weights ? [weights] : [])];
    const results = queries.length > 0 ? await db.read(...queries) : [];
    return this.keys.keysOf(weights ? (results[results.length - 1] as Map<string, string>) : undefined, holders);
  }

  async linkedTwiceAmong(db: Runner, domainId: number, contactIds: readonly number[]): Promise<Array<{ contactId: number; userIds: number[] }>> {
    if (contactIds.length === 0) return [];
    const [found] = await db.read({
      statement: {
        sql: `SELECT contact_id, GROUP_CONCAT(DISTINCT uf_id ORDER BY uf_id) AS users FROM civicrm_uf_match
               WHERE domain_id = ? AND contact_id IN (?) GROUP BY contact_id HAVING COUNT(DISTINCT uf_id) > 1`,
        values: [domainId, contactIds],
      },
      parse: (r) => rows(r).map((x) => ({ contactId: Number(x.contact_id), userIds: ids(x.users) })),
    });
    return found;
  }

  async contactsLinkedTwice(db: Runner, domainId: number, afterContactId: number, limit: number): Promise<Array<{ contactId: number; userIds: number[] }>> {
    const [found] = await db.read({
      statement: {
        sql: `SELECT contact_id, GROUP_CONCAT(DISTINCT uf_id ORDER BY uf_id) AS users FROM civicrm_uf_match
               WHERE domain_id = ? AND contact_id > ? GROUP BY contact_id HAVING COUNT(DISTINCT uf_id) > 1 ORDER BY contact_id LIMIT ?`,
        values: [domainId, afterContactId, limit],
      },
      parse: (r) => rows(r).map((x) => ({ contactId: Number(x.contact_id), userIds: ids(x.users) })),
    });
    return found;
  }

  async removeAllButOldestLink(db: Database, domainId: number, ufId: number): Promise<number[]> {
    return db.transaction(async (tx) => {
      const [linkIds] = await tx.read<[number[]]>({
        statement: { sql: 'SELECT id FROM civicrm_uf_match WHERE domain_id = ? AND uf_id = ? ORDER BY id FOR UPDATE', values: [domainId, ufId] },
        parse: (r) => rows(r).map((x) => Number(x.id)),
      });
      const extra = linkIds.slice(1);
      if (extra.length > 0) await tx.run([{ sql: 'DELETE FROM civicrm_uf_match WHERE id IN (?)', values: [extra] }]);
      return extra;
    });
  }

  async removeBrokenLinks(db: Database, domainId: number, ufId: number, trashed: boolean): Promise<number[]> {
    return db.transaction(async (tx) => {
      const [linkIds] = await tx.read<[number[]]>({
        statement: {
          sql: `SELECT m.id FROM civicrm_uf_match m LEFT JOIN civicrm_contact c ON c.id = m.contact_id
                 WHERE m.domain_id = ? AND m.uf_id = ? AND (c.id IS NULL${trashed ? ' OR c.is_deleted = 1' : ''}) ORDER BY m.id FOR UPDATE`,
          values: [domainId, ufId],
        },
        parse: (r) => rows(r).map((x) => Number(x.id)),
      });
      if (linkIds.length > 0) await tx.run([{ sql: 'DELETE FROM civicrm_uf_match WHERE id IN (?)', values: [linkIds] }]);
      return linkIds;
    });
  }
}
