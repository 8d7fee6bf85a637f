/**
 * Real WordPress + real shim + real sidecar on a database that holds CiviCRM 6.14's own tables
 * (keys, triggers, base rows; the site's default location type is Work): what CiviCRM shows for
 * the people WordPress registers and edits, and that the bridge changes none of CiviCRM's tables.
 */
import { expect } from 'chai';
import { CIVICRM_TABLES } from '../support/civicrm-schema';
import { rows } from '../support/database';
import { emailsOf } from '../support/fixtures';
import { tableShape } from '../support/schema-shape';
import { createUserWithApi, eventually, linkOf, pluginLogLines, startBridgeSite, userIdByLogin, type BridgeSite } from './support/bridge-site';
import { WpSession, formFields, setField } from './support/wp-http';

interface Shown {
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  email_greeting_display: string | null;
  addressee_display: string | null;
}

async function shown(site: BridgeSite, contactId: number): Promise<Shown> {
  const [row] = await rows<Shown>(site.pool, `SELECT first_name, last_name, display_name, email_greeting_display, addressee_display FROM civicrm_contact WHERE id = ?`, [contactId]);
  return row;
}

describe('e2e: a WordPress site on a CiviCRM 6.14 database', function () {
  let site: BridgeSite;
  let admin: WpSession;
  let shapesBefore: unknown;

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('civicrm', { crm: 'civicrm-work-default' });
    shapesBefore = await Promise.all(CIVICRM_TABLES.map((t) => tableShape(site.pool, t)));
    admin = new WpSession(site.wp.url);
    await admin.login(site.wp.adminUser, site.wp.adminPassword);
  });
  after(async function () {
    this.timeout(60_000);
    await site?.close();
  });

  it('when a visitor registers through wp-login.php, then the contact has the Work location type, the default greetings, and is shown by its address', async function () {
    const visitor = new WpSession(site.wp.url);
    const response = await visitor.post('/wp-login.php?action=register', [
      ['user_login', 'civi.visitor'],
      ['user_email', 'Civi.Visitor@Example.org'],
      ['redirect_to', ''],
      ['wp-submit', 'Register'],
    ]);

    expect(response.status).to.equal(302);
    const userId = await eventually('user row', () => userIdByLogin(site, 'civi.visitor'));
    const contactId = await eventually('linked', async () => (await linkOf(site, userId))[0]?.contact_id);
    expect(await emailsOf(site.pool, contactId)).to.deep.equal([{ email: 'civi.visitor@example.org', is_primary: 1, location_type_id: 2 }]);
    expect(await shown(site, contactId)).to.deep.equal({
      first_name: null,
      last_name: null,
      display_name: 'civi.visitor@example.org',
      email_greeting_display: 'Dear',
      addressee_display: '',
    });
  });

  it("when an admin gives the user names in the profile form, then they reach the contact and its greetings; a CRM edit of the last name then survives the user's logins", async function () {
    const userId = await createUserWithApi(site, { login: 'civi.member', email: 'civi.member@example.org', password: 'member-Pass-1234' });
    const contactId = await eventually('linked', async () => (await linkOf(site, userId))[0]?.contact_id);
    const page = await admin.get(`/wp-admin/user-edit.php?user_id=${userId}`);
    let fields = formFields(page.body, 'your-profile');
    fields = setField(fields, 'first_name', 'Ada');
    fields = setField(fields, 'last_name', 'Lovelace');
    expect((await admin.post('/wp-admin/user-edit.php', [...fields, ['submit', 'Update User']])).status).to.equal(302);
    await eventually('names reach the contact', async () => ((await shown(site, contactId)).first_name === 'Ada' ? true : undefined));
    await site.pool.query(`UPDATE civicrm_contact SET last_name = 'King' WHERE id = ?`, [contactId]);
    // Every reconcile of the user takes its state row and raises its version: two logins, two more.
    const version = async () => Number((await rows<{ v: number }>(site.pool, `SELECT version AS v FROM contact_bridge_user_state WHERE uf_id = ?`, [userId]))[0].v);
    const before = await version();

    for (let i = 0; i < 2; i++) await new WpSession(site.wp.url).login('civi.member', 'member-Pass-1234');
    await eventually('both logins are reconciled', async () => ((await version()) >= before + 2 ? true : undefined));

    expect(await shown(site, contactId)).to.deep.include({ first_name: 'Ada', last_name: 'King', email_greeting_display: 'Dear Ada' });
  });

  it("when EMAIL_DIRECTION=both and staff correct a member's email in CiviCRM, then the queue's WP-Cron run gives it to the WordPress user with wp_update_user, and the profile_update that follows changes nothing in the CRM", async function () {
    this.timeout(120_000);
    const userId = await createUserWithApi(site, { login: 'civi.mail', email: 'civi.mail@exmaple.org', password: 'pw-Civi-Mail-1', firstName: 'Civi', lastName: 'Mail' });
    const contactId = await eventually('linked', async () => (await linkOf(site, userId))[0]?.contact_id);
    await site.sidecar.stop();
    await site.sidecar.start({ EMAIL_DIRECTION: 'both' });
    try {
      // As CiviCRM's own form does: the email row changes (its triggers touch the contact).
      await site.pool.query('UPDATE civicrm_email SET email = ? WHERE contact_id = ? AND is_primary = 1', ['civi.mail@example.org', contactId]);
      const emailsBefore = await emailsOf(site.pool, contactId);

      const out = await site.wp.runPhp(`do_action( 'contact_bridge_drain_queue' );\necho get_userdata( ${userId} )->user_email;\n`);

      expect(out.trim()).to.equal('civi.mail@example.org');
      // The profile_update wp_update_user fired is delivered like any event; the link follows, the contact does not change.
      await eventually('link follows', async () => ((await linkOf(site, userId))[0]?.uf_name === 'civi.mail@example.org' ? true : undefined));
      expect(await emailsOf(site.pool, contactId)).to.deep.equal(emailsBefore);
      const again = await site.wp.runPhp(`do_action( 'contact_bridge_drain_queue' );\necho get_userdata( ${userId} )->user_email;\n`);
      expect(again.trim()).to.equal('civi.mail@example.org');
    } finally {
      await site.sidecar.stop();
      await site.sidecar.start({ EMAIL_DIRECTION: 'wordpress' });
    }
  });

  it("when all of the above has run, then none of CiviCRM's tables, indexes or keys changed, and the plugin logged no PHP notice, warning or error", async function () {
    expect(await Promise.all(CIVICRM_TABLES.map((t) => tableShape(site.pool, t)))).to.deep.equal(shapesBefore);
    expect(pluginLogLines(site)).to.deep.equal([]);
  });
});
