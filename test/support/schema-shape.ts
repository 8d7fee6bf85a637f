/** What a test compares of a table: its definition as the server reports it, and its rows. */
import type { Pool } from 'mysql2/promise';
import { rows } from './database';

/** SHOW CREATE TABLE and CHECKSUM TABLE of each table that exists, and SHOW TRIGGERS: equal means untouched. */
export async function definitionsAndRows(pool: Pool, tables: readonly string[]): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const table of tables) {
    const [exists] = await rows<{ n: number }>(
      pool,
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table],
    );
    if (Number(exists.n) === 0) continue;
    const [create] = await rows<Record<string, string>>(pool, `SHOW CREATE TABLE \`${table}\``);
    const [checksum] = await rows<{ Checksum: number }>(pool, `CHECKSUM TABLE \`${table}\``);
    result[table] = { create: create['Create Table'], checksum: checksum.Checksum };
  }
  result.triggers = await rows(pool, 'SHOW TRIGGERS');
  return result;
}

export interface TableShape {
  options: Record<string, unknown>;
  columns: Array<Record<string, unknown>>;
  /** name -> "UNIQUE|INDEX (col, col)" */
  indexes: Record<string, string>;
  /** "column -> table.column ON DELETE rule", without constraint names. */
  foreignKeys: string[];
  constraintNames: string[];
}

/** A table as information_schema describes it: columns in order with type, nullability, default, comment; indexes; keys. */
export async function tableShape(pool: Pool, table: string): Promise<TableShape> {
  const [options] = await rows(
    pool,
    `SELECT ENGINE AS engine, TABLE_COLLATION AS collation, ROW_FORMAT AS row_format
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  const columns = await rows(
    pool,
    `SELECT COLUMN_NAME AS name, ORDINAL_POSITION AS position, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
            COLUMN_DEFAULT AS \`default\`, EXTRA AS extra, COLUMN_COMMENT AS comment,
            CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  const indexRows = await rows<{ name: string; non_unique: number; column_name: string; sub_part: number | null }>(
    pool,
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS column_name, SUB_PART AS sub_part
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const grouped = new Map<string, { unique: boolean; columns: string[] }>();
  for (const r of indexRows) {
    const entry = grouped.get(r.name) ?? { unique: Number(r.non_unique) === 0, columns: [] };
    entry.columns.push(r.sub_part ? `${r.column_name}(${r.sub_part})` : r.column_name);
    grouped.set(r.name, entry);
  }
  const indexes = Object.fromEntries(
    [...grouped.entries()].map(([name, i]) => [name, `${i.unique ? 'UNIQUE' : 'INDEX'} (${i.columns.join(', ')})`]),
  );
  const keys = await rows<{ name: string; column_name: string; ref_table: string; ref_column: string; delete_rule: string }>(
    pool,
    `SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS column_name, k.REFERENCED_TABLE_NAME AS ref_table,
            k.REFERENCED_COLUMN_NAME AS ref_column, r.DELETE_RULE AS delete_rule
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.CONSTRAINT_NAME`,
    [table],
  );
  return {
    options,
    columns,
    indexes,
    foreignKeys: keys.map((k) => `${k.column_name} -> ${k.ref_table}.${k.ref_column} ON DELETE ${k.delete_rule}`).sort(),
    constraintNames: keys.map((k) => k.name).sort(),
  };
}
