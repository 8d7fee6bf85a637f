import type { RowDataPacket } from 'mysql2/promise';
import type { Link } from '../domain/model';
import type { UserIds } from '../domain/ports';
import { rowValues, type Query, type Runner, type Statement } from '../lib/transaction';
import { ASCII_KEYS_SQL } from './collation-keys';

/** A link as read, with the server's collation weight of its uf_name when it is not printable ASCII. */
export interface KeyedLink extends Link {
  weight: string | null;
}

function toLink(row: RowDataPacket): KeyedLink {
  return {
    id: Number(row.id),
    domainId: Number(row.domain_id),
    ufId: Number(row.uf_id),
    ufName: row.uf_name === null ? null : String(row.uf_name),
    contactId: row.contact_id === null ? null : Number(row.contact_id),
    weight: row.uf_weight === null || row.uf_weight === undefined ? null : String(row.uf_weight),
  };
}

const COLUMNS = `id, domain_id, uf_id, uf_name, contact_id, ${ASCII_KEYS_SQL('uf_name')} AS uf_weight`;

/** Which uf_ids a statement is about: a list, or an id range (after, upTo] (no upper bound when null). */
export type UfIdSelector = UserIds;

/** SQL condition on `column` for a selector, with its values. */
export function ufIdCondition(column: string, selector: UfIdSelector): { sql: string; values: unknown[] } {
  if ('ids' in selector) return { sql: `${column} IN (?)`, values: [selector.ids.length ? selector.ids : [0]] };
  return selector.upTo === null
    ? { sql: `${column} > ?`, values: [selector.after] }
    : { sql: `${column} > ? AND ${column} <= ?`, values: [selector.after, selector.upTo] };
}

const asLinks = (r: unknown) => (r as RowDataPacket[]).map(toLink);

/** civicrm_uf_match. */
export class LinksRepository {
  /** Every link of these uf_ids in the domain, in id order. */
  ofUsers(domainId: number, selector: UfIdSelector): Query<KeyedLink[]> {
    const where = ufIdCondition('uf_id', selector);
    return { statement: { sql: `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND ${where.sql} ORDER BY id`, values: [domainId, ...where.values] }, parse: asLinks };
  }

  /** Links whose uf_name the unique (uf_name, domain_id) index calls equal to one of `ufNames`. */
  holding(domainId: number, ufNames: readonly string[]): Query<KeyedLink[]> {
    return {
      statement: { sql: `SELECT ${COLUMNS} FROM civicrm_uf_match WHERE domain_id = ? AND uf_name IN (?) ORDER BY id`, values: [domainId, ufNames.length ? ufNames : ['']] },
      parse: ufNames.length ? asLinks : () => [],
    };
  }

  async findForUsers(db: Runner, domainId: number, ufIds: readonly number[]): Promise<Link[]> {
    if (ufIds.length === 0) return [];
    const [links] = await db.read(this.ofUsers(domainId, { ids: ufIds }));
    return links;
  }

  // ---- writes, as statements (a plan's writes travel together) ----

  deleteForUsers(domainId: number, ufIds: readonly number[]): Statement[] {
    return ufIds.length === 0 ? [] : [{ sql: `DELETE FROM civicrm_uf_match WHERE domain_id = ? AND uf_id IN (?)`, values: [domainId, ufIds] }];
  }

  /**
   * Sets several links' uf_name. All are first set to NULL, then to their new values: the
   * unique (uf_name, domain_id) index is checked row by row, and one link may take an address
   * another link of the same statement gives up.
   */
  setUfNames(changes: ReadonlyArray<{ linkId: number; ufName: string | null }>): Statement[] {
    if (changes.length === 0) return [];
    if (changes.length === 1) return [{ sql: `UPDATE civicrm_uf_match SET uf_name = ? WHERE id = ?`, values: [changes[0].ufName, changes[0].linkId] }];
    const out: Statement[] = [{ sql: `UPDATE civicrm_uf_match SET uf_name = NULL WHERE id IN (?)`, values: [changes.map((c) => c.linkId)] }];
    const named = changes.filter((c) => c.ufName !== null);
    for (let i = 0; i < named.length; i += CASE_BATCH) {
      const part = named.slice(i, i + CASE_BATCH);
      out.push({
        sql: `UPDATE civicrm_uf_match SET uf_name = CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (?)`,
        values: [...rowValues(part, (c) => [c.linkId, c.ufName]), part.map((c) => c.linkId)],
      });
    }
    return out;
  }

  insertMany(links: ReadonlyArray<Omit<Link, 'id'>>): Statement[] {
    const out: Statement[] = [];
    for (let i = 0; i < links.length; i += INSERT_BATCH) {
      const part = links.slice(i, i + INSERT_BATCH);
      out.push({
        sql: `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`,
        values: rowValues(part, (l) => [l.domainId, l.ufId, l.ufName, l.contactId]),
      });
    }
    return out;
  }
}

/** Rows per multi-row CASE update: the server evaluates the CASE per row, so keep it bounded. */
const CASE_BATCH = 1000;
/** Rows per multi-row INSERT. */
export const INSERT_BATCH = 1000;
