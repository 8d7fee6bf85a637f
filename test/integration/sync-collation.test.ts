import { expect } from 'chai';
import { CollationKeysRepository } from '../../sidecar/src/data-access/collation-keys';
import { createRepositories } from '../../sidecar/src/data-access/repositories';
import { syncAllUsers } from '../../sidecar/src/domain/sync-all-users';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { insertContact, insertUser, linksOf } from '../support/fixtures';

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
    const keyOf = await new CollationKeysRepository().keysFor(db.pool, ['josé@example.org', 'STRAßE@example.org', 'zoë@example.org']);
    expect(keyOf('josé@example.org')).to.equal(keyOf('JOSE@example.org')).and.to.equal('jose@example.org');
    expect(keyOf('STRAßE@example.org')).to.equal('strasse@example.org');
    expect(keyOf('zoë@example.org')).to.equal('zoe@example.org');
  });

  it('when the WordPress tables have another collation, then the bulk sync matches, conflicts on accent variants like the index does, and fails on nothing', async () => {
    const contactId = await insertContact(db.pool, { emails: ['jose@example.org'] });
    const first = await insertUser(db.pool, db.prefix, { email: 'JOSE@example.org' });
    const second = await insertUser(db.pool, db.prefix, { email: 'josé@example.org' });
    const repos = createRepositories({ wpUsersTable: 'wp_users', wpUsermetaTable: 'wp_usermeta' });

    const run = await syncAllUsers(
      { pool: db.pool, repos, rules: { domainId: 1, contactType: 'Individual', syncNames: true }, logger: silentLogger, chunkSize: 50 },
      { dryRun: false, trigger: 'test' },
    );

    expect(run.counts).to.include({ checked: 2, matched: 1, conflicts: 1, errors: 0 });
    expect((await linksOf(db.pool, first))[0].contact_id).to.equal(contactId);
    expect(await linksOf(db.pool, second)).to.deep.equal([]);
    const [state] = await rows<{ reason: string }>(db.pool, `SELECT reason FROM contact_bridge_user_state WHERE uf_id = ?`, [second]);
    expect(state.reason).to.equal(`email josé@example.org is already linked to user ${first}`);
  });
});
