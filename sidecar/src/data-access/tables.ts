/**
 * Table names. The only identifiers ever spliced into SQL are these, and the WordPress ones
 * come from config values validated against ^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$ — checked
 * again here so that no other path can bring one in.
 */
const SAFE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/;

export function quoteTable(name: string): string {
  if (!SAFE_NAME.test(name)) throw new Error(`Unsafe table name refused: ${JSON.stringify(name)}`);
  return name
    .split('.')
    .map((part) => `\`${part}\``)
    .join('.');
}

export interface WpTables {
  users: string;
  usermeta: string;
  /** The network's base table prefix (WP_TABLE_PREFIX): per-site meta keys start with it. */
  prefix: string;
}

export function wpTables(usersTable: string, usermetaTable: string, prefix = 'wp_'): WpTables {
  if (!/^[A-Za-z0-9_]*$/.test(prefix)) throw new Error(`Unsafe table prefix refused: ${JSON.stringify(prefix)}`);
  return { users: quoteTable(usersTable), usermeta: quoteTable(usermetaTable), prefix };
}

/** The usermeta key that makes a user a member of a site (WordPress: {prefix}capabilities for site 1, {prefix}{id}_capabilities for the others). */
function membershipKey(tables: WpTables, blogId: number): string {
  return blogId === 1 ? `${tables.prefix}capabilities` : `${tables.prefix}${blogId}_capabilities`;
}

/**
 * The one SQL test of "the user in `userColumn` is a member of one of these sites", for every
 * statement that asks (the engine's snapshot, the link health check).
 */
export function isMemberSql(tables: WpTables, userColumn: string, blogIds: readonly number[]): { sql: string; values: unknown[] } {
  const keys = blogIds.map((b) => membershipKey(tables, b));
  return {
    sql: `EXISTS (SELECT 1 FROM ${tables.usermeta} member_meta WHERE member_meta.user_id = ${userColumn} AND member_meta.meta_key IN (?))`,
    values: [keys.length ? keys : ['']],
  };
}
