import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from './pool';

/**
 * The key under which civicrm_uf_match's UNIQUE (uf_name, domain_id) index treats two addresses
 * as the same. The column's collation (utf8mb4_unicode_ci) is wider than "the same address":
 * it ignores case and folds accents (josé = jose, ß = ss) and trailing spaces (PAD SPACE).
 * The single-user path asks the database (`uf_name = ?`); the bulk planner needs the same
 * answer for thousands of addresses at once, so it works with keys:
 *  - printable ASCII without spaces: utf8mb4_unicode_ci only folds case there (checked against
 *    the server in test/integration/sync-collation.test.ts), so the key is the lowercased text
 *    and no query is needed;
 *  - anything else: the server's WEIGHT_STRING, mapped back to lowercase ASCII when every weight
 *    is one of an ASCII character (so "josé" gets the key "jose"), else kept as hex.
 */
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

/**
 * Collation keys of addresses (see above): computed locally for printable
 * ASCII, asked from the server for anything else with one statement per call. JSON_TABLE and
 * WEIGHT_STRING exist on MariaDB >= 10.6 and MySQL >= 8.0.4; the values travel as one bound
 * JSON parameter, so nothing is spliced into the SQL.
 */
export class CollationKeysRepository {
  private asciiByWeight: Map<string, string> | undefined;

  private async weights(db: Db, texts: string[]): Promise<Map<string, string>> {
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT j.i AS i, HEX(WEIGHT_STRING(CONVERT(j.e USING utf8mb4) COLLATE utf8mb4_unicode_ci)) AS w
         FROM JSON_TABLE(?, '$[*]' COLUMNS (i FOR ORDINALITY, e VARCHAR(1024) PATH '$')) AS j`,
      [JSON.stringify(texts)],
    );
    const out = new Map<string, string>();
    for (const r of rows) out.set(texts[Number(r.i) - 1], String(r.w ?? ''));
    return out;
  }

  private async asciiTable(db: Db): Promise<Map<string, string>> {
    if (!this.asciiByWeight) {
      const chars: string[] = [];
      for (let c = 0x21; c <= 0x7e; c++) chars.push(String.fromCharCode(c).toLowerCase());
      const weights = await this.weights(db, [...new Set(chars)]);
      this.asciiByWeight = new Map([...weights].map(([ch, w]) => [w.toUpperCase(), ch]));
    }
    return this.asciiByWeight;
  }

  /** A key function covering every text given (throws for a text it was not given). */
  async keysFor(db: Db, texts: Iterable<string>): Promise<(text: string) => string> {
    const remote = [...new Set([...texts].filter((t) => !isLocalKey(t)).map(stripPadSpace))];
    const known = new Map<string, string>();
    if (remote.length > 0) {
      const table = await this.asciiTable(db);
      for (const [text, weight] of await this.weights(db, remote)) known.set(text, keyFromWeight(weight, table));
    }
    return (text: string) => {
      if (isLocalKey(text)) return localKey(text);
      const key = known.get(stripPadSpace(text));
      if (key === undefined) throw new Error(`no collation key computed for ${JSON.stringify(text)}`);
      return key;
    };
  }
}
