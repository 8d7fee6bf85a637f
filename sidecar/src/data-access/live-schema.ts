import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

export interface LiveColumn {
  name: string;
  comment: string;
}

export interface LiveIndex {
  name: string;
  unique: boolean;
  /** In index order, with the prefix length where there is one: `value(128)`. */
  columns: string[];
}

export interface LiveForeignKey {
  name: string;
  column: string;
  references: { table: string; column: string };
  onDelete: string;
}

export interface LiveTable {
  name: string;
  columns: LiveColumn[];
  indexes: LiveIndex[];
  foreignKeys: LiveForeignKey[];
}

/**
 * What the database holds for these tables, read from information_schema (MariaDB and MySQL
 * 8.0 alike). Tables that do not exist are absent from the map. Callers judge tables and
 * indexes by their columns, never by their names.
 */
export async function readLiveSchema(db: Db, tables: readonly string[]): Promise<Map<string, LiveTable>> {
  const result = new Map<string, LiveTable>();
  if (tables.length === 0) return result;
  const [columns] = await db.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_COMMENT AS column_comment
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [tables],
  );
  for (const row of columns) {
    const name = String(row.table_name);
    let table = result.get(name);
    if (!table) {
      table = { name, columns: [], indexes: [], foreignKeys: [] };
      result.set(name, table);
    }
    table.columns.push({ name: String(row.column_name), comment: String(row.column_comment ?? '') });
  }
  const [indexes] = await db.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, NON_UNIQUE AS non_unique,
            COLUMN_NAME AS column_name, SUB_PART AS sub_part
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)
      ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    [tables],
  );
  for (const row of indexes) {
    const table = result.get(String(row.table_name));
    if (!table) continue;
    const name = String(row.index_name);
    let found = table.indexes.find((i) => i.name === name);
    if (!found) {
      found = { name, unique: Number(row.non_unique) === 0, columns: [] };
      table.indexes.push(found);
    }
    const column = String(row.column_name);
    found.columns.push(row.sub_part === null || row.sub_part === undefined ? column : `${column}(${Number(row.sub_part)})`);
  }
  const [keys] = await db.query<RowDataPacket[]>(
    `SELECT k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS constraint_name, k.COLUMN_NAME AS column_name,
            k.REFERENCED_TABLE_NAME AS referenced_table, k.REFERENCED_COLUMN_NAME AS referenced_column,
            r.DELETE_RULE AS delete_rule
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME IN (?) AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [tables],
  );
  for (const row of keys) {
    const table = result.get(String(row.table_name));
    if (!table) continue;
    table.foreignKeys.push({
      name: String(row.constraint_name),
      column: String(row.column_name),
      references: { table: String(row.referenced_table), column: String(row.referenced_column) },
      onDelete: String(row.delete_rule),
    });
  }
  return result;
}

/** True when `index` covers exactly these columns (any order), without prefix lengths. */
export function indexHasColumns(index: LiveIndex, columns: readonly string[]): boolean {
  return index.columns.length === columns.length && columns.every((c) => index.columns.includes(c));
}
