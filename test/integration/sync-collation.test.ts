import { expect } from 'chai';
import { CollationKeys } from '../../sidecar/src/data-access/collation-keys';
import { LinksRepository } from '../../sidecar/src/data-access/links';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { syncDeps } from '../support/engine';
import { insertContact, insertLink, insertUser, linksOf } from '../support/fixtures';

/** Keys of these texts, as the engine computes them for addresses looked up. */
async function keysOfTexts(db: TestDatabase, texts: string[]): Promise<(text: string) => string> {
  const keys = new CollationKeys();
  const database = databaseOf(db.pool);
  await database.read(...keys.setupQueries());
  const [weights] = await database.read(keys.weightsQuery(texts)!);
  return keys.keyFunction(weights);
}

describe('bulk sync and collations (real database)', () => {
  let db: TestDatabase;

  before(async () => {
    // An old site: WordPress tables in utf8 (3-byte) general_ci, the CRM in utf8mb4_unicode_ci.
    db = await createTestDatabase({ wpCollation: 'utf8mb3_general_ci' });
  });
  after(async () => db.drop());

  it('when keys are computed locally for printable ASCII, then they agree with the server (case is the only thing utf8mb4_unicode_ci folds there)', async () => {
    const chars: string[] = [];
    for (let c = 0x21; c <= 0x7e; c++) chars.push(String.fromCharCode(c));
    const [weights] = await db.pool.query<any[]>(
      `SELECT j.e AS e, HEX(WEIGHT_STRING(CONVERT(j.e USING utf8mb4) COLLATE utf8mb4_unicode_ci)) AS w
         FROM JSON_TABLE(?, '$[*]' COLUMNS (e VARCHAR(4) PATH '$')) AS j`,
      [JSON.stringify(chars)],
    );
    const groups = new Map<string, Set<string>>();
    for (const { e, w } of weights) groups.set(w, (groups.get(w) ?? new Set()).add(String(e).toLowerCase()));
    expect([...groups.values()].every((g) => g.size === 1)).to.equal(true);
    expect(groups.size).to.equal(new Set(chars.map((c) => c.toLowerCase())).size);
  });

  it('when addresses differ by accents or ß, then they get the key the unique index would give them', async () => {
    const keyOf = await keysOfTexts(db, ['josé@example.org', 'STRAßE@example.org', 'zoë@example.org']);
    expect(keyOf('josé@example.org')).to.equal(keyOf('JOSE@example.org')).and.to.equal('jose@example.org');
    expect(keyOf('STRAßE@example.org')).to.equal('strasse@example.org');
    expect(keyOf('zoë@example.org')).to.equal('zoe@example.org');
  });

  it("when a link's uf_name is read with its weight, then its key is the one its address gets when looked up (the two sources of keys agree)", async () => {
    const texts = ['josé@link.example.org', 'STRAßE@link.example.org', 'tab\there@link.example.org', 'trailing@link.example.org  '];
    const contactIds = await Promise.all(texts.map(() => insertContact(db.pool, {})));
    for (const [i, text] of texts.entries()) await insertLink(db.pool, 900 + i, contactIds[i], text);
    const keys = new CollationKeys();
    const database = databaseOf(db.pool);
    await database.read(...keys.setupQueries());
    const [links] = await database.read(new LinksRepository().ofUsers(1, { ids: texts.map((_, i) => 900 + i) }));
    const fromLinks = keys.keyFunction(new Map(links.filter((l) => l.weight !== null).map((l) => [l.ufName!, l.weight!])));
    const fromTexts = await keysOfTexts(db, texts);

    for (const text of texts) expect(fromLinks(text), text).to.equal(fromTexts(text));
    expect(fromLinks('josé@link.example.org')).to.equal('jose@link.example.org');
    expect(links.find((l) => l.ufName === 'trailing@link.example.org  ')?.weight, 'ASCII with trailing spaces is keyed locally').to.equal(null);
  });

  it('when the WordPress tables have another collation, then the bulk sync matches, conflicts on accent variants like the index does, and fails on nothing', async () => {
    const contactId = await insertContact(db.pool, { emails: ['jose@example.org'] });
    const first = await insertUser(db.pool, db.prefix, { email: 'JOSE@example.org' });
    const second = await insertUser(db.pool, db.prefix, { email: 'josé@example.org' });

    const run = await syncAllUsers(syncDeps(db, 50), { dryRun: false, trigger: 'test' });

    expect(run.counts).to.include({ checked: 2, matched: 1, conflicts: 1, errors: 0 });
    expect((await linksOf(db.pool, first))[0].contact_id).to.equal(contactId);
    expect(await linksOf(db.pool, second)).to.deep.equal([]);
    const [state] = await rows<{ reason: string }>(db.pool, `SELECT reason FROM contact_bridge_user_state WHERE uf_id = ?`, [second]);
    expect(state.reason).to.equal(`email josé@example.org is already linked to user ${first}`);
  });
});
