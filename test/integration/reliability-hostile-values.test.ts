/**
 * Values written into wp_users / wp_usermeta by someone else (another plugin, an import, an
 * attacker with a registration form): they are stored as data, exactly, or skipped with a
 * reason — through the HTTP door and through the bulk sync. Nothing executes, nothing breaks.
 */
import { expect } from 'chai';
import { rows } from '../support/database';
import { contact, count, emailsOf, insertUser, linksOf } from '../support/fixtures';
import { sidecarSuite } from '../support/sidecar';
import { CLEAN, invariants, waitUntil } from './reliability-support';

interface Case {
  what: string;
  email: string;
  first?: string;
  last?: string;
  action: 'created' | 'skipped';
  /** Expected uf_name (created only). */
  ufName?: string | null;
  reason?: RegExp;
}

const hundred = `${'a'.repeat(100 - '@example.org'.length)}@example.org`;
const CASES: Case[] = [
  { what: 'an SQL-shaped address', email: "robert'); DROP TABLE civicrm_uf_match;--@example.org", action: 'created', ufName: "robert'); drop table civicrm_uf_match;--@example.org" },
  { what: 'an HTML-shaped address and names', email: '"<img src=x onerror=alert(1)>"@example.org', first: '<script>alert(1)</script>', last: '</td><b>x', action: 'created', ufName: '"<img src=x onerror=alert(1)>"@example.org' },
  { what: 'a 100-character address (the most wp_users.user_email holds)', email: hundred, action: 'created', ufName: hundred },
  { what: 'an emoji address and names', email: '😀.smile@example.org', first: '😀', last: '👩‍👩‍👧', action: 'created', ufName: '😀.smile@example.org' },
  { what: 'an IDN address in Unicode', email: 'User@Bücher.example', action: 'created', ufName: 'user@bücher.example' },
  { what: 'the same IDN address in punycode (a different string: not matched to it)', email: 'user@xn--bcher-kva.example', action: 'created', ufName: 'user@xn--bcher-kva.example' },
  { what: 'an address in tabs and newlines', email: '\t tabbed@example.org \n', action: 'created', ufName: 'tabbed@example.org' },
  { what: 'an empty address and no names', email: '', action: 'skipped', reason: /no email and no first or last name/ },
  { what: 'an address of only spaces and names of only spaces', email: '     ', first: '   ', last: '\t', action: 'skipped', reason: /no email and no first or last name/ },
  { what: 'an address of only spaces and a name', email: '   ', first: 'Nomail', action: 'created', ufName: null },
  { what: 'a first name of 65 characters', email: 'long.first@example.org', first: 'F'.repeat(65), action: 'skipped', reason: /first_name is longer than 64/ },
  { what: 'a last name of 300 characters', email: 'long.last@example.org', last: 'L'.repeat(300), action: 'skipped', reason: /last_name is longer than 64/ },
  { what: 'a first name of 64 emoji (256 bytes, 64 characters)', email: 'emoji64@example.org', first: '😀'.repeat(64), action: 'created', ufName: 'emoji64@example.org' },
  { what: 'names with NUL, right-to-left override and backslashes', email: 'controls@example.org', first: 'a\u0000b', last: '\u202eevil\\\\', action: 'created', ufName: 'controls@example.org' },
];

describe('reliability: hostile values in the WordPress tables', () => {
  const suite = sidecarSuite();
  const ids = new Map<string, number>();

  before(async () => {
    for (const c of CASES) ids.set(c.what, await insertUser(suite.db.pool, suite.db.prefix, { email: c.email, firstName: c.first, lastName: c.last }));
  });

  for (const c of CASES) {
    it(`when a user has ${c.what}, then it is ${c.action === 'created' ? 'stored exactly' : 'skipped with a reason'}, and a second event changes nothing`, async () => {
      const id = ids.get(c.what)!;

      const reply = await suite.running.client.post('/v1/events', { event: 'user_register', user_id: id });
      const again = await suite.running.client.post('/v1/events', { event: 'wp_login', user_id: id });

      expect(reply.status).to.equal(200);
      expect(reply.body.action).to.equal(c.action);
      if (c.action === 'skipped') {
        expect(reply.body.reason).to.match(c.reason!);
        expect(reply.body.contact_id).to.equal(null);
        expect(await linksOf(suite.db.pool, id)).to.deep.equal([]);
        expect(again.body.action).to.equal('skipped');
        return;
      }
      const links = await linksOf(suite.db.pool, id);
      expect(links).to.have.length(1);
      expect(links[0].uf_name).to.equal(c.ufName);
      const stored = await contact(suite.db.pool, reply.body.contact_id);
      const first = c.first?.trim() ?? '';
      const last = c.last?.trim() ?? '';
      expect(stored).to.include({ first_name: first === '' ? null : first, last_name: last === '' ? null : last, source: 'WordPress user' });
      expect(await emailsOf(suite.db.pool, reply.body.contact_id)).to.deep.equal(c.ufName === null ? [] : [{ email: c.ufName, is_primary: 1, location_type_id: 1 }]);
      expect(again.body.action).to.equal('unchanged');
    });
  }

  it('when the bulk sync meets all these users at once, then it completes with the same outcomes and no errors', async function () {
    if ((await suite.running.client.get('/v1/sync')).status !== 200) this.skip();
    const before = await count(suite.db.pool, 'civicrm_contact');

    const started = await suite.running.client.post('/v1/sync', { dry_run: false });
    let run: { status: string; counts: Record<string, number> } = { status: 'running', counts: {} };
    await waitUntil('the run ends', async () => {
      run = (await suite.running.client.get(`/v1/sync/${started.body.id}`)).body;
      return run.status !== 'running';
    });

    expect(run.status).to.equal('completed');
    expect(run.counts.errors).to.equal(0);
    expect(run.counts.skipped).to.equal(CASES.filter((c) => c.action === 'skipped').length);
    expect(await count(suite.db.pool, 'civicrm_contact')).to.equal(before);
    expect(await invariants(suite.db.pool)).to.deep.equal(CLEAN);
    const tables = await rows(suite.db.pool, "SHOW TABLES LIKE 'civicrm_%'");
    expect(tables.length).to.be.at.least(4);
  });
});
