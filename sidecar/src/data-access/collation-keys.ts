import type { RowDataPacket } from 'mysql2/promise';
import { isLocalKey, keyFromWeight, localKey, stripPadSpace } from '../domain/collation-key';
import type { Db } from './pool';

/**
 * Collation keys of addresses (see domain/collation-key.ts): computed locally for printable
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
