/**
 * Real WordPress + real shim + real sidecar: what happens to the CRM when people register,
 * are edited and deleted through WordPress's own forms, and when the sidecar is away.
 */
import { expect } from 'chai';
import { insertContact, emailsOf, contact, count } from '../support/fixtures';
import { rows } from '../support/database';
import { startBridgeSite, eventually, linkOf, pluginLogLines, userIdByLogin, type BridgeSite } from './support/bridge-site';
import { WpSession, formFields, setField, decodeEntities, type WpResponse } from './support/wp-http';

let uniq = 0;
function unique(prefix: string): string {
  uniq += 1;
  return `${prefix}${uniq}x${Date.now() % 1_000_000}`;
}

async function register(site: BridgeSite, login: string, email: string): Promise<WpResponse> {
  const visitor = new WpSession(site.wp.url);
  return visitor.post('/wp-login.php?action=register', [
    ['user_login', login],
    ['user_email', email],
    ['redirect_to', ''],
    ['wp-submit', 'Register'],
  ]);
}

function expectRegistered(response: WpResponse, login: string): void {
  expect(response.status, `registration of ${login}: ${response.body.slice(0, 300)}`).to.equal(302);
  expect(response.location).to.contain('checkemail=registered');
}

async function linkedContact(site: BridgeSite, userId: number): Promise<number> {
  return eventually(`user ${userId} linked`, async () => (await linkOf(site, userId))[0]?.contact_id ?? undefined);
}

async function contactsWithEmail(site: BridgeSite, email: string): Promise<number> {
  return count(site.pool, 'civicrm_email', 'email = ?', [email]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

describe('e2e: WordPress user events reach the CRM', function () {
  let site: BridgeSite;
  let admin: WpSession;

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('lifecycle');
    admin = new WpSession(site.wp.url);
    await admin.login(site.wp.adminUser, site.wp.adminPassword);
  });

  after(async function () {
    this.timeout(60_000);
    await site?.close();
  });

  it('when a visitor registers through wp-login.php, then a contact with the normalised email is created and linked', async function () {
    const login = unique('visitor');
    const typed = `${login}.Person@Example.ORG`;
    const normalised = `${login}.person@example.org`;

    const response = await register(site, login, typed);

    expectRegistered(response, login);
    const userId = await eventually('user row', () => userIdByLogin(site, login));
    const contactId = await linkedContact(site, userId);
    const [link] = await linkOf(site, userId);
    expect(link.uf_name).to.equal(normalised);
    const row = await contact(site.pool, contactId);
    expect(row?.contact_type).to.equal('Individual');
    expect(row?.source).to.equal('WordPress user');
    expect(await emailsOf(site.pool, contactId)).to.deep.equal([{ email: normalised, is_primary: 1, location_type_id: 1 }]);
    expect(await contactsWithEmail(site, normalised)).to.equal(1);
  });

  it('when a visitor registers with the email of an existing contact, then the user is linked to it and no contact is created', async function () {
    const login = unique('known');
    const email = `${login}@example.org`;
    const existing = await insertContact(site.pool, { firstName: 'Known', lastName: 'Person', emails: [email] });
    const contactsBefore = await count(site.pool, 'civicrm_contact');

    const response = await register(site, login, email);

    expectRegistered(response, login);
    const userId = await eventually('user row', () => userIdByLogin(site, login));
    expect(await linkedContact(site, userId)).to.equal(existing);
    expect(await count(site.pool, 'civicrm_contact')).to.equal(contactsBefore);
    // The registration form asks for no names: the contact's names stay.
    const row = await contact(site.pool, existing);
    expect([row?.first_name, row?.last_name]).to.deep.equal(['Known', 'Person']);
  });

  it("when an admin changes a user's email and names in the wp-admin profile form, then the contact's primary email, uf_name and names follow", async function () {
    const login = unique('edited');
    expectRegistered(await register(site, login, `${login}@example.org`), login);
    const userId = await eventually('user row', () => userIdByLogin(site, login));
    const contactId = await linkedContact(site, userId);
    const newEmail = `${login}.new@example.net`;

    const page = await admin.get(`/wp-admin/user-edit.php?user_id=${userId}`);
    expect(page.status).to.equal(200);
    let fields = formFields(page.body, 'your-profile');
    expect(fields.map(([n]) => n)).to.include('_wpnonce');
    fields = setField(fields, 'email', newEmail);
    fields = setField(fields, 'first_name', 'Ada');
    fields = setField(fields, 'last_name', 'Lovelace');
    const saved = await admin.post('/wp-admin/user-edit.php', [...fields, ['submit', 'Update User']]);

    expect(saved.status, decodeEntities(saved.body).slice(0, 500)).to.equal(302);
    expect(saved.location).to.contain('updated=1');
    await eventually('uf_name follows the new email', async () =>
      (await linkOf(site, userId))[0]?.uf_name === newEmail ? true : undefined,
    );
    const row = await contact(site.pool, contactId);
    expect([row?.first_name, row?.last_name, row?.display_name, row?.sort_name]).to.deep.equal([
      'Ada',
      'Lovelace',
      'Ada Lovelace',
      'Lovelace, Ada',
    ]);
    const primary = (await emailsOf(site.pool, contactId)).filter((e) => e.is_primary === 1);
    expect(primary.map((e) => e.email)).to.deep.equal([newEmail]);
    expect(await linkOf(site, userId)).to.have.length(1);
  });

  it('when an admin deletes a user in wp-admin, then the link is removed and the contact is kept', async function () {
    const login = unique('leaving');
    const email = `${login}@example.org`;
    expectRegistered(await register(site, login, email), login);
    const userId = await eventually('user row', () => userIdByLogin(site, login));
    const contactId = await linkedContact(site, userId);

    const list = await admin.get(`/wp-admin/users.php?s=${encodeURIComponent(login)}`);
    const deleteHref = decodeEntities(
      /href=["']([^"']*users\.php\?action=delete&amp;user=\d+&amp;_wpnonce=[0-9a-f]+)["']/.exec(list.body)?.[1] ?? '',
    );
    expect(deleteHref, 'Delete link on the Users screen').to.contain(`user=${userId}`);
    const confirm = await admin.get(deleteHref.startsWith('http') ? deleteHref : `/wp-admin/${deleteHref}`);
    expect(confirm.status).to.equal(200);
    const done = await admin.post('/wp-admin/users.php', [...formFields(confirm.body, 'updateusers'), ['submit', 'Confirm Deletion']]);

    expect(done.status, done.body.slice(0, 500)).to.equal(302);
    expect(done.location).to.contain('delete_count=1');
    expect(await userIdByLogin(site, login)).to.equal(undefined);
    await eventually('link removed', async () => ((await linkOf(site, userId)).length === 0 ? true : undefined));
    expect(await contact(site.pool, contactId)).to.not.equal(undefined);
    expect(await contactsWithEmail(site, email)).to.equal(1);
  });

  it('when the Users screen is shown, then the CRM contact column shows each link and one /v1/links call serves the page', async function () {
    const login = unique('listed');
    expectRegistered(await register(site, login, `${login}@example.org`), login);
    const userId = await eventually('user row', () => userIdByLogin(site, login));
    const contactId = await linkedContact(site, userId);
    const [unlinked] = await rows<{ n: number }>(
      site.pool,
      `SELECT COUNT(*) AS n FROM \`${site.prefix}users\` u WHERE NOT EXISTS (SELECT 1 FROM civicrm_uf_match m WHERE m.uf_id = u.ID)`,
    );
    const callsBefore = site.sidecar.requestCount('/v1/links');

    const page = await admin.get('/wp-admin/users.php');

    expect(page.status).to.equal(200);
    expect(page.body).to.contain('CRM contact');
    expect(page.body).to.contain(`data-contact-id="${contactId}"`);
    expect((page.body.match(/class="contact-bridge-not-linked"/g) ?? []).length).to.equal(Number(unlinked.n));
    await eventually('sidecar logged the call', async () => (site.sidecar.requestCount('/v1/links') > callsBefore ? true : undefined), 5_000);
    expect(site.sidecar.requestCount('/v1/links') - callsBefore).to.equal(1);
  });

  it('when the sidecar is stopped, then 20 registrations still succeed without slowing down, and WordPress traffic alone links all 20 once it is back', async function () {
    this.timeout(180_000);
    const registerMany = async (tag: string): Promise<{ logins: string[]; ms: number[] }> => {
      const logins: string[] = [];
      const ms: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const login = unique(tag);
        const response = await register(site, login, `${login}@example.org`);
        expectRegistered(response, login);
        logins.push(login);
        ms.push(response.ms);
      }
      return { logins, ms };
    };
    const baseline = await registerMany('up');
    const contactsBefore = await count(site.pool, 'civicrm_contact');

    await site.sidecar.stop();
    const outage = await registerMany('down');

    // Every registration succeeded and none waited on the sidecar.
    const ids = await Promise.all(outage.logins.map((login) => userIdByLogin(site, login)));
    expect(ids.every((id) => typeof id === 'number')).to.equal(true);
    expect(median(outage.ms), `median ms while down vs up: ${median(outage.ms)} vs ${median(baseline.ms)}`).to.be.below(
      2 * median(baseline.ms),
    );
    const queued = await rows<{ user_id: number }>(site.pool, `SELECT user_id FROM \`${site.prefix}contact_bridge_queue\``);
    expect(queued.map((r) => Number(r.user_id))).to.include.members(ids as number[]);
    expect(await count(site.pool, 'civicrm_uf_match', 'uf_id IN (?)', [ids])).to.equal(0);

    await site.sidecar.start();
    const visitor = new WpSession(site.wp.url);
    await eventually(
      'all 20 linked by WordPress traffic',
      async () => {
        await visitor.get('/');
        return (await count(site.pool, 'civicrm_uf_match', 'uf_id IN (?)', [ids])) === 20 ? true : undefined;
      },
      90_000,
    );

    expect(await count(site.pool, `\`${site.prefix}contact_bridge_queue\``)).to.equal(0);
    // Redelivered events carry X-Bridge-Queued-At: the restarted sidecar measured 20 queue lags.
    const metrics = await (await fetch(`${site.sidecar.url}/metrics`)).text();
    const lagCount = Number(/^contact_bridge_shim_queue_lag_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(lagCount).to.be.at.least(20);
    expect(await count(site.pool, 'civicrm_contact')).to.equal(contactsBefore + 20);
    for (const login of outage.logins) {
      expect(await contactsWithEmail(site, `${login}@example.org`), login).to.equal(1);
    }
    const perUser = await rows<{ n: number }>(
      site.pool,
      'SELECT COUNT(*) AS n FROM civicrm_uf_match WHERE uf_id IN (?) GROUP BY uf_id HAVING n > 1',
      [ids],
    );
    expect(perUser).to.deep.equal([]);
  });

  it('when all of the above has run, then the plugin has logged no PHP notice, warning or error', function () {
    expect(pluginLogLines(site)).to.deep.equal([]);
  });
});
