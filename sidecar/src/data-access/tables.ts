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
}

export function wpTables(usersTable: string, usermetaTable: string): WpTables {
  return { users: quoteTable(usersTable), usermeta: quoteTable(usermetaTable) };
}
