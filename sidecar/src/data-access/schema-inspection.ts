import type { RowDataPacket } from 'mysql2/promise';
import { readLiveSchema, type LiveIndex, type LiveTable } from './live-schema';
import type { Db } from './pool';

export interface DuplicateUserLink {
  domainId: number;
  ufId: number;
  links: number;
}

/** What the CRM tables of this database offer the bridge, read at start (never changed). */
export interface CrmSchemaReport {
  /** Each table, column or unique index the bridge needs and the database lacks, as a sentence. */
  missing: string[];
  /** Tables the bridge can do without, present but lacking a column it reads. */
  warnings: string[];
  /** A unique index covers (uf_id, domain_id): CiviCRM before 5.69. From 5.69 it is indexed, not unique. */
  ufIdUnique: boolean;
  /** Users with more than one link in a domain (the first 100, by domain and user id). */
  duplicateUserLinks: DuplicateUserLink[];
  /** How many users have more than one link in a domain. */
  duplicateUsers: number;
  /** civicrm_location_type can be read (the default location type). */
  locationTypeTable: boolean;
  /** civicrm_option_group and civicrm_option_value can be read (greetings, prefixes, suffixes). */
  optionTables: boolean;
}

/** What the bridge reads and writes; a database without one of these cannot be served. */
const NEEDED: Readonly<Record<string, readonly string[]>> = {
  civicrm_domain: ['id'],
  civicrm_contact: [
    'id', 'contact_type', 'first_name', 'middle_name', 'last_name', 'prefix_id', 'suffix_id', 'display_name',
    'sort_name', 'organization_name', 'household_name', 'hash', 'source', 'is_deleted', 'created_date',
    'email_greeting_id', 'email_greeting_custom', 'email_greeting_display', 'postal_greeting_id', 'postal_greeting_custom',
    'postal_greeting_display', 'addressee_id', 'addressee_custom', 'addressee_display',
  ],
  civicrm_email: ['id', 'contact_id', 'location_type_id', 'email', 'is_primary'],
  civicrm_uf_match: ['id', 'domain_id', 'uf_id', 'uf_name', 'contact_id'],
};

/** Read when present; without them the bridge writes location type 1 and no greetings. */
const OPTIONAL: Readonly<Record<string, readonly string[]>> = {
  civicrm_location_type: ['id', 'is_default', 'is_active'],
  civicrm_option_group: ['id', 'name'],
  civicrm_option_value: ['option_group_id', 'value', 'label', 'name', 'filter', 'is_default', 'is_active', 'weight'],
};

/** Races between two links for one address or one contact are decided by these. */
const NEEDED_UNIQUE: ReadonlyArray<[string, string[]]> = [
  ['civicrm_uf_match', ['uf_name', 'domain_id']],
  ['civicrm_uf_match', ['contact_id', 'domain_id']],
];

function lacking(table: LiveTable | undefined, columns: readonly string[]): string[] {
  if (!table) return [...columns];
  const present = new Set(table.columns.map((c) => c.name.toLowerCase()));
  return columns.filter((c) => !present.has(c));
}

/** A unique index on some of these columns (and no others) makes their combination unique too. */
function enforcesUnique(index: LiveIndex, columns: readonly string[]): boolean {
  return index.unique && index.columns.length > 0 && index.columns.every((c) => columns.includes(c));
}

export class SchemaInspectionRepository {
  /** Looks at the CRM tables by their columns and indexes, never by index names. */
  async inspect(db: Db): Promise<CrmSchemaReport> {
    const live = await readLiveSchema(db, [...Object.keys(NEEDED), ...Object.keys(OPTIONAL)]);
    const missing: string[] = [];
    for (const [name, columns] of Object.entries(NEEDED)) {
      if (!live.has(name)) {
        missing.push(`table ${name} does not exist`);
        continue;
      }
      for (const column of lacking(live.get(name), columns)) missing.push(`${name} has no column ${column}`);
    }
    const ufMatch = live.get('civicrm_uf_match');
    for (const [name, columns] of NEEDED_UNIQUE) {
      const table = live.get(name);
      if (table && !table.indexes.some((i) => enforcesUnique(i, columns))) {
        missing.push(`${name} has no unique index on (${columns.join(', ')})`);
      }
    }
    const warnings: string[] = [];
    const usable = (name: string): boolean => {
      const table = live.get(name);
      if (!table) return false;
      const absent = lacking(table, OPTIONAL[name]);
      if (absent.length > 0) warnings.push(`${name} has no column ${absent.join(', ')}; it is not read`);
      return absent.length === 0;
    };
    const locationTypeTable = usable('civicrm_location_type');
    const optionGroups = usable('civicrm_option_group');
    const optionValues = usable('civicrm_option_value');
    const ufIdUnique = ufMatch !== undefined && ufMatch.indexes.some((i) => enforcesUnique(i, ['uf_id', 'domain_id']));
    const duplicates =
      ufMatch && !ufIdUnique && missing.length === 0 ? await this.duplicateUserLinks(db) : { list: [], users: 0 };
    return {
      missing,
      warnings,
      ufIdUnique,
      duplicateUserLinks: duplicates.list,
      duplicateUsers: duplicates.users,
      locationTypeTable,
      optionTables: optionGroups && optionValues,
    };
  }

  private async duplicateUserLinks(db: Db): Promise<{ list: DuplicateUserLink[]; users: number }> {
    const [counted] = await db.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS users FROM (
         SELECT uf_id FROM civicrm_uf_match GROUP BY uf_id, domain_id HAVING COUNT(*) > 1
       ) AS d`,
    );
    const users = Number(counted[0].users);
    if (users === 0) return { list: [], users };
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT domain_id, uf_id, COUNT(*) AS links FROM civicrm_uf_match
        GROUP BY uf_id, domain_id HAVING COUNT(*) > 1
        ORDER BY domain_id, uf_id LIMIT 100`,
    );
    return {
      list: rows.map((r) => ({ domainId: Number(r.domain_id), ufId: Number(r.uf_id), links: Number(r.links) })),
      users,
    };
  }
}
