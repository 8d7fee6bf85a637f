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
