import type { RowDataPacket } from 'mysql2/promise';
import type { Query } from '../lib/transaction';

/**
 * The key under which civicrm_uf_match's UNIQUE (uf_name, domain_id) index treats two addresses
 * as the same. The column's collation (utf8mb4_unicode_ci) is wider than "the same address":
 * it ignores case and folds accents (josé = jose, ß = ss) and trailing spaces (PAD SPACE).
 * The planner needs that answer for one address or thousands at once, so it works with keys:
 *  - printable ASCII without spaces: utf8mb4_unicode_ci only folds case there (checked against
 *    the server in test/integration/sync-collation.test.ts), so the key is the lowercased text;
 *  - anything else: the server's WEIGHT_STRING, mapped back to lowercase ASCII when every weight
 *    is one of an ASCII character (so "josé" gets the key "jose"), else kept as hex.
 * Weights travel with the rows that need them (a link's uf_name: ASCII_KEYS_SQL) or come from
 * one statement for the addresses looked up (weightsOf), in the round trip that needs them.
 */
/** SQL for a text compared byte for byte, whatever the table's charset and collation (WordPress's and the CRM's may differ). */
export const bin = (column: string): string => `CONVERT(${column} USING utf8mb4) COLLATE utf8mb4_bin`;

export const ASCII_SAFE = /^[\x21-\x7e]*$/;

export function stripPadSpace(text: string): string {
  return text.replace(/ +$/, '');
}

export function isLocalKey(text: string): boolean {
  return ASCII_SAFE.test(stripPadSpace(text));
}

/** The key of a printable-ASCII text (callers check isLocalKey first). */
export function localKey(text: string): string {
  return stripPadSpace(text).toLowerCase();
}

/** SQL for a column's weight, NULL when its key is computed locally (the same test as isLocalKey, on bytes). */
export function ASCII_KEYS_SQL(column: string): string {
  const trimmed = `TRIM(TRAILING ' ' FROM ${column})`;
  return `CASE WHEN CAST(${trimmed} AS BINARY) REGEXP '^[!-~]*$' THEN NULL ELSE HEX(WEIGHT_STRING(${trimmed})) END`;
}

/**
 * Turns a hex WEIGHT_STRING into a key, given the weights (hex, 4 digits) of the lowercase
 * printable ASCII characters.
 */
export function keyFromWeight(weightHex: string, asciiByWeight: ReadonlyMap<string, string>): string {
  const hex = weightHex.toUpperCase();
  let out = '';
  for (let i = 0; i < hex.length; i += 4) {
    const ch = asciiByWeight.get(hex.slice(i, i + 4));
    if (ch === undefined) return `w:${hex}`;
    out += ch;
  }
  return out;
}

/** texts -> weight statement (JSON_TABLE and WEIGHT_STRING exist on MariaDB >= 10.6 and MySQL >= 8.0.4; one bound JSON parameter). */
function weightQuery(texts: readonly string[]): Query<Map<string, string>> {
  return {
    statement: {
      sql: `SELECT j.i AS i, HEX(WEIGHT_STRING(CONVERT(j.e USING utf8mb4) COLLATE utf8mb4_unicode_ci)) AS w
              FROM JSON_TABLE(?, '$[*]' COLUMNS (i FOR ORDINALITY, e VARCHAR(1024) PATH '$')) AS j`,
      values: [JSON.stringify(texts)],
    },
    parse: (result) => {
      const out = new Map<string, string>();
      for (const r of result as RowDataPacket[]) out.set(texts[Number(r.i) - 1], String(r.w ?? ''));
      return out;
    },
  };
}

const ASCII_CHARS: string[] = (() => {
  const chars = new Set<string>();
  for (let c = 0x21; c <= 0x7e; c++) chars.add(String.fromCharCode(c).toLowerCase());
  return [...chars];
})();

/** Collation keys for the planner: one instance per process (it keeps the ASCII weight table once read). */
export class CollationKeys {
  private asciiByWeight: Map<string, string> | undefined;

  /** The statement that reads the ASCII weight table, until it has been read once. */
  setupQueries(): Array<Query<void>> {
    if (this.asciiByWeight) return [];
    const query = weightQuery(ASCII_CHARS);
    return [{ statement: query.statement, parse: (r) => void (this.asciiByWeight = new Map([...query.parse(r)].map(([ch, w]) => [w.toUpperCase(), ch]))) }];
  }

  /** The weights of the texts whose key is not local (none: no statement is needed). */
  weightsQuery(texts: Iterable<string>): Query<Map<string, string>> | null {
    const remote = [...new Set([...texts].filter((t) => !isLocalKey(t)).map(stripPadSpace))];
    return remote.length === 0 ? null : weightQuery(remote);
  }

  /**
   * A key function covering the given weights (text -> weight, from weightsQuery and the rows'
   * own weights); throws for a non-local text it was not given.
   */
  keyFunction(weights: ReadonlyMap<string, string>): (text: string) => string {
    return this.keysOf(weights, []);
  }

  /**
   * The key function for texts whose weights weightsQuery read (`textWeights`) and for rows
   * that brought their own weight (a link's uf_name, read with ASCII_KEYS_SQL).
   */
  keysOf(textWeights: ReadonlyMap<string, string> | undefined, rows: ReadonlyArray<{ ufName: string | null; weight: string | null }>): (text: string) => string {
    const weights = new Map(textWeights ?? []);
    for (const r of rows) if (r.weight !== null && r.ufName !== null) weights.set(r.ufName, r.weight);
    return this.fromWeights(weights);
  }

  private fromWeights(weights: ReadonlyMap<string, string>): (text: string) => string {
    const known = new Map<string, string>();
    for (const [text, weight] of weights) {
      if (!this.asciiByWeight) throw new Error('collation keys: the ASCII weight table was not read');
      known.set(stripPadSpace(text), keyFromWeight(weight, this.asciiByWeight));
    }
    return (text: string) => {
      if (isLocalKey(text)) return localKey(text);
      const key = known.get(stripPadSpace(text));
      if (key === undefined) throw new Error(`no collation key computed for ${JSON.stringify(text)}`);
      return key;
    };
  }
}
