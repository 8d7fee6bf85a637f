/**
 * Migration 004: the CRM tables the bridge creates become CiviCRM's own definitions.
 *  - A table that does not exist is created as CiviCRM 6.x defines it, with CiviCRM's base rows.
 *  - A partial table the bridge's first release created (sql/001_crm_tables.sql: known by its
 *    columns) is completed in place: missing columns and indexes are added, its foreign keys
 *    carry the bridge's names. Its rows stay.
 *  - Any other table is CiviCRM's (or already complete) and is not touched.
 * Every step looks at the database again first, so a run cut short is finished by the next one.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../lib/logger';
import {
  CIVICRM_TABLES,
  CONTACT_TYPES,
  FIRST_RELEASE_COLUMNS,
  LOCATION_TYPES,
  OPTION_GROUPS,
  TABLE_OPTIONS,
  bridgeConstraintName,
  type ForeignKeyDefinition,
  type IndexDefinition,
  type TableDefinition,
} from './civicrm-definitions';
import { readLiveSchema, type LiveIndex, type LiveTable } from './live-schema';
import type { PoolConnection } from './pool';

export const CRM_TABLES_MIGRATION_NAME = '004_crm_tables_as_civicrm';

export const CRM_TABLES_MIGRATION_CHECKSUM = createHash('sha256')
  .update(JSON.stringify({ CIVICRM_TABLES, FIRST_RELEASE_COLUMNS, LOCATION_TYPES, CONTACT_TYPES, OPTION_GROUPS }))
  .digest('hex');

const TABLE_NAMES = CIVICRM_TABLES.map((t) => t.name);
/** A table being created is filled under this name first and renamed when complete. */
const draftName = (table: string): string => `contact_bridge_draft_${table.replace(/^civicrm_/, '')}`;
/** Partial tables are completed in this order: civicrm_contact, by whose columns they are known, last. */
const COMPLETION_ORDER = ['civicrm_domain', 'civicrm_email', 'civicrm_uf_match', 'civicrm_contact'];

const q = (name: string): string => `\`${name}\``;

function indexColumnsSql(columns: readonly string[]): string {
  return columns.map((c) => c.replace(/^(\w+)(\(\d+\))?$/, (_m, name: string, len = '') => `${q(name)}${len}`)).join(', ');
}

function indexSql(index: IndexDefinition): string {
  return `${index.unique ? 'UNIQUE ' : ''}INDEX ${q(index.name)}(${indexColumnsSql(index.columns)})`;
}

function foreignKeySql(table: string, key: ForeignKeyDefinition, referencedTable: string): string {
  const onDelete = key.onDelete === 'RESTRICT' ? '' : ` ON DELETE ${key.onDelete}`;
  return (
    `CONSTRAINT ${q(bridgeConstraintName(table, key.column))} FOREIGN KEY (${q(key.column)}) ` +
    `REFERENCES ${q(referencedTable)}(${q(key.references.column)})${onDelete}`
  );
}

function sameIndex(live: LiveIndex, wanted: IndexDefinition): boolean {
  return live.unique === wanted.unique && live.columns.join(',') === wanted.columns.join(',');
}

/** The partial tables of the first release: only its columns, and none commented (CiviCRM comments nearly every column). */
function isFirstReleaseTable(live: LiveTable): boolean {
  const columns = FIRST_RELEASE_COLUMNS[live.name];
  if (!columns) return false;
  return live.columns.every((c) => columns.includes(c.name) && c.comment === '');
}

/** Has the bridge begun completing this table (a run that stopped before civicrm_contact)? */
function startedByBridge(live: LiveTable): boolean {
  return live.foreignKeys.some((k) => k.name === bridgeConstraintName(live.name, k.column));
}

/**
 * civicrm_contact and civicrm_email are known by their own columns. civicrm_domain and
 * civicrm_uf_match had all of CiviCRM's columns already: they count as the bridge's only
 * alongside a partial civicrm_contact (001 created the four together), which is why
 * civicrm_contact is completed last.
 */
function isPartial(name: string, live: Map<string, LiveTable>): boolean {
  const table = live.get(name);
  if (!table) return false;
  const contact = live.get('civicrm_contact');
  const contactPartial = contact !== undefined && isFirstReleaseTable(contact);
  if (name === 'civicrm_contact') return contactPartial;
  if (name === 'civicrm_email' && isFirstReleaseTable(table)) return true;
  return contactPartial && (isFirstReleaseTable(table) || startedByBridge(table));
}

function createTableSql(table: TableDefinition, nameOf: (table: string) => string): string {
  const lines = [
    ...table.columns.map((c) => `${q(c.name)} ${c.definition}`),
    'PRIMARY KEY (`id`)',
    ...table.indexes.map(indexSql),
    ...table.foreignKeys.map((k) => foreignKeySql(table.name, k, nameOf(k.references.table))),
  ];
  return `CREATE TABLE ${q(nameOf(table.name))} (\n  ${lines.join(',\n  ')}\n)\n${TABLE_OPTIONS}`;
}

/**
 * One ALTER TABLE adds the missing columns, indexes and the bridge's foreign keys (so that
 * civicrm_contact, by which the others are known, is completed all at once); the first
 * release's keys under CiviCRM's names are dropped after, so integrity holds throughout.
 */
async function completePartialTable(conn: PoolConnection, table: TableDefinition, logger: Logger): Promise<void> {
  const live = (await readLiveSchema(conn, [table.name])).get(table.name)!;
  const present = new Set(live.columns.map((c) => c.name));
  const changes: string[] = [];
  table.columns.forEach((column, i) => {
    const position = i === 0 ? 'FIRST' : `AFTER ${q(table.columns[i - 1].name)}`;
    const verb = present.has(column.name) ? 'MODIFY' : 'ADD';
    changes.push(`${verb} COLUMN ${q(column.name)} ${column.definition} ${position}`);
  });
  for (const index of table.indexes) {
    const existing = live.indexes.find((i) => i.name === index.name);
    // An index InnoDB made for the first release's foreign key is its own: MariaDB renames it
    // after the next key added on that column. Made again explicitly, it keeps CiviCRM's name.
    if (existing && sameIndex(existing, index) && !index.forForeignKey) continue;
    // The first release made (uf_id, domain_id) unique; CiviCRM 6.x has it non-unique.
    if (existing) changes.push(`DROP INDEX ${q(index.name)}`);
    changes.push(`ADD ${indexSql(index)}`);
  }
  for (const key of table.foreignKeys) {
    if (live.foreignKeys.some((k) => k.name === bridgeConstraintName(table.name, key.column))) continue;
    changes.push(`ADD ${foreignKeySql(table.name, key, key.references.table)}`);
  }
  await conn.query(`ALTER TABLE ${q(table.name)}\n  ${changes.join(',\n  ')}`);
  for (const key of table.foreignKeys) {
    if (!live.foreignKeys.some((k) => k.name === key.civicrmName)) continue;
    await conn.query(`ALTER TABLE ${q(table.name)} DROP FOREIGN KEY ${q(key.civicrmName)}`);
  }
  logger.info({ table: table.name }, 'completed a CRM table the bridge created, to CiviCRM 6.x definitions');
}

async function seedDrafts(conn: PoolConnection, created: Set<string>, nameOf: (table: string) => string): Promise<void> {
  if (created.has('civicrm_domain')) {
    await conn.query(`INSERT INTO ${q(nameOf('civicrm_domain'))} (id, name) VALUES (1, 'Default Domain Name')`);
  }
  if (created.has('civicrm_location_type')) {
    for (const t of LOCATION_TYPES) {
      await conn.query(
        `INSERT INTO ${q(nameOf('civicrm_location_type'))}
           (name, display_name, vcard_name, description, is_reserved, is_active, is_default)
         VALUES (?, ?, ?, ?, ?, 1, ?)`,
        [t.name, t.displayName, t.vcardName, t.description, t.isReserved ? 1 : 0, t.isDefault ? 1 : 0],
      );
    }
  }
  if (created.has('civicrm_contact_type')) {
    for (const t of CONTACT_TYPES) {
      await conn.query(
        `INSERT INTO ${q(nameOf('civicrm_contact_type'))} (id, name, label, is_active, is_reserved, icon) VALUES (?, ?, ?, 1, 1, ?)`,
        [t.id, t.name, t.name, t.icon],
      );
    }
  }
  if (!created.has('civicrm_option_group')) return;
  for (const group of OPTION_GROUPS) {
    await conn.query(`INSERT INTO ${q(nameOf('civicrm_option_group'))} (name, title, description) VALUES (?, ?, ?)`, [
      group.name,
      group.title,
      group.description,
    ]);
    if (!created.has('civicrm_option_value')) continue;
    for (const [i, value] of group.values.entries()) {
      await conn.query(
        `INSERT INTO ${q(nameOf('civicrm_option_value'))}
           (option_group_id, label, value, name, filter, is_default, weight, is_optgroup, is_reserved, is_active)
         SELECT id, ?, ?, ?, ?, ?, ?, 0, ?, 1 FROM ${q(nameOf('civicrm_option_group'))} WHERE name = ?`,
        [value.label, String(value.value), value.label, value.filter, value.isDefault ? 1 : 0, i + 1, value.isReserved ? 1 : 0, group.name],
      );
    }
  }
}

/**
 * Creates the missing tables under draft names, fills them, then renames them all at once:
 * a table appears complete with its rows, or not at all.
 */
async function createMissingTables(conn: PoolConnection, missing: TableDefinition[], logger: Logger): Promise<void> {
  const created = new Set(missing.map((t) => t.name));
  const nameOf = (table: string): string => (created.has(table) ? draftName(table) : table);
  // Drafts left by a run that stopped half-way: children first, as their keys point backwards.
  for (const table of [...CIVICRM_TABLES].reverse()) await conn.query(`DROP TABLE IF EXISTS ${q(draftName(table.name))}`);
  for (const table of missing) await conn.query(createTableSql(table, nameOf));
  await seedDrafts(conn, created, nameOf);
  await conn.query(`RENAME TABLE ${missing.map((t) => `${q(draftName(t.name))} TO ${q(t.name)}`).join(', ')}`);
  logger.info({ tables: missing.map((t) => t.name) }, 'created CRM tables as CiviCRM 6.x defines them');
}

export async function migrateCrmTables(conn: PoolConnection, logger: Logger): Promise<void> {
  const live = await readLiveSchema(conn, TABLE_NAMES);
  const byName = new Map(CIVICRM_TABLES.map((t) => [t.name, t]));
  const partial = COMPLETION_ORDER.filter((name) => isPartial(name, live));
  for (const name of partial) await completePartialTable(conn, byName.get(name)!, logger);
  const missing = CIVICRM_TABLES.filter((t) => !live.has(t.name));
  if (missing.length > 0) await createMissingTables(conn, missing, logger);
}
