/**
 * A site configured the WordPress way (Settings → Contact Bridge, no wp-config.php constants):
 * events wait in the queue until the plugin is configured, the settings form keeps the secret
 * to itself, WP-Cron delivers the queue, and uninstalling leaves nothing behind.
 */
import { expect } from 'chai';
import { count } from '../support/fixtures';
import { rows } from '../support/database';
import { eventually, linkOf, pluginLogLines, startBridgeSite, userIdByLogin, type BridgeSite } from './support/bridge-site';
import { WpSession, formFields, setField } from './support/wp-http';

const SETTINGS_PAGE = '/wp-admin/options-general.php?page=contact-bridge';

async function register(site: BridgeSite, login: string): Promise<number> {
  const response = await new WpSession(site.wp.url).post('/wp-login.php?action=register', [
    ['user_login', login],
    ['user_email', `${login}@example.org`],
    ['wp-submit', 'Register'],
  ]);
  expect(response.status, response.body.slice(0, 300)).to.equal(302);
  return eventually(`user ${login}`, () => userIdByLogin(site, login));
}

async function option(site: BridgeSite, name: string): Promise<string | undefined> {
  const [row] = await rows<{ option_value: string }>(site.pool, `SELECT option_value FROM \`${site.prefix}options\` WHERE option_name = ?`, [name]);
  return row?.option_value;
}

function queueSize(site: BridgeSite): Promise<number> {
  return count(site.pool, `\`${site.prefix}contact_bridge_queue\``);
}

describe('e2e: the shim configured through its settings page', function () {
  let site: BridgeSite;
  let admin: WpSession;

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('settings', { constants: false });
    admin = new WpSession(site.wp.url);
    await admin.login(site.wp.adminUser, site.wp.adminPassword);
  });

  after(async function () {
    this.timeout(60_000);
    await site?.close();
  });

  it('when nothing is configured yet, then a registration still succeeds and its event waits in the queue, counted on the settings page', async function () {
    const userId = await register(site, 'early');

    expect(await queueSize(site)).to.be.at.least(1);
    expect(await linkOf(site, userId)).to.deep.equal([]);
    const page = await admin.get(SETTINGS_PAGE);
    expect(page.status).to.equal(200);
    expect(/id="contact-bridge-queued">\s*(\d+)/.exec(page.body)?.[1]).to.equal(String(await queueSize(site)));
  });

  it('when the admin saves a too-short secret, then it is refused and nothing is stored', async function () {
    const page = await admin.get(SETTINGS_PAGE);
    let fields = formFields(page.body, 'contact-bridge-settings-form');
    fields = setField(fields, 'contact_bridge_url', site.sidecar.url);
    fields = setField(fields, 'contact_bridge_secret', 'too-short');

    const saved = await admin.post('/wp-admin/options.php', fields);

    expect(saved.status).to.equal(302);
    expect(await option(site, 'contact_bridge_secret')).to.be.oneOf([undefined, '']);
    const after = await admin.get(SETTINGS_PAGE);
    expect(after.body).to.contain('at least 32 characters');
  });

  it('when the admin saves the URL and secret through the settings form, then they are stored, the secret is never shown, the connection test passes and the queue is delivered', async function () {
    const page = await admin.get(SETTINGS_PAGE);
    let fields = formFields(page.body, 'contact-bridge-settings-form');
    expect(fields.map(([n]) => n)).to.include.members(['_wpnonce', 'option_page', 'contact_bridge_url', 'contact_bridge_secret']);
    fields = setField(fields, 'contact_bridge_url', `${site.sidecar.url}/`);
    fields = setField(fields, 'contact_bridge_secret', site.secret);

    const saved = await admin.post('/wp-admin/options.php', fields);

    expect(saved.status).to.equal(302);
    expect(saved.location).to.contain('settings-updated=true');
    expect(await option(site, 'contact_bridge_url')).to.equal(site.sidecar.url);
    expect(await option(site, 'contact_bridge_secret')).to.equal(site.secret);
    const shown = await admin.get(SETTINGS_PAGE);
    expect(shown.body).to.not.contain(site.secret);
    expect(shown.body).to.contain('A secret is saved');

    // Saving again with the secret field left empty keeps the stored secret.
    await admin.post('/wp-admin/options.php', setField(formFields(shown.body, 'contact-bridge-settings-form'), 'contact_bridge_secret', ''));
    expect(await option(site, 'contact_bridge_secret')).to.equal(site.secret);

    const tested = await admin.post('/wp-admin/admin-post.php', formFields(shown.body, 'contact-bridge-test-form'));
    expect(tested.status).to.equal(302);
    const result = await admin.get(SETTINGS_PAGE);
    expect(result.body).to.match(/id="contact-bridge-test-result"[^>]*><p>Connected/);

    const early = (await userIdByLogin(site, 'early')) as number;
    // Saving the settings scheduled a WP-Cron drain; later traffic runs WP-Cron.
    await eventually('queued registration delivered', async () => {
      await new WpSession(site.wp.url).get('/');
      return (await linkOf(site, early)).length === 1 ? true : undefined;
    });
    expect(await queueSize(site)).to.equal(0);
  });

  it('when the sidecar was down and WP-Cron runs the drain hook after the backoff, then the queued events are delivered oldest first', async function () {
    await site.sidecar.stop();
    const first = await register(site, 'queued-first');
    const second = await register(site, 'queued-second');
    const queued = await rows<{ user_id: number }>(site.pool, `SELECT user_id FROM \`${site.prefix}contact_bridge_queue\` ORDER BY id`);
    expect(queued.map((r) => Number(r.user_id))).to.deep.equal([first, second]);
    expect(Number(await option(site, 'contact_bridge_retry_after'))).to.be.greaterThan(Math.floor(Date.now() / 1000));
    await site.sidecar.start();
    // The pause and the first event's backoff have passed.
    await site.pool.query(`UPDATE \`${site.prefix}contact_bridge_queue\` SET next_attempt_at = 0`);
    await site.pool.query(`DELETE FROM \`${site.prefix}options\` WHERE option_name = 'contact_bridge_retry_after'`);

    // What WP-Cron runs; the count is read before this request's own shutdown could deliver anything.
    const out = await site.wp.runPhp(
      `do_action( 'contact_bridge_drain_queue' );\necho Contact_Bridge_Queue::count();\n`,
    );

    expect(out.trim()).to.equal('0');
    const [firstLink] = await linkOf(site, first);
    const [secondLink] = await linkOf(site, second);
    // Both got new contacts; the older event was delivered first, so its contact is older.
    expect(firstLink.contact_id).to.be.below(secondLink.contact_id);
    const cron = (await option(site, 'cron')) ?? '';
    expect(cron).to.contain('contact_bridge_drain_queue');
  });

  it('when the plugin is uninstalled, then its options, queue table and cron events are gone', async function () {
    // As an admin would, between two WP-Cron runs: a run in progress reschedules its recurring
    // event after the uninstall removed it (WordPress does so before running an event; the
    // plugin's handler then removes it on that event's next run).
    await eventually('WP-Cron is idle', async () => ((await option(site, '_transient_doing_cron')) === undefined ? true : undefined));
    await site.wp.runPhp(
      `require_once ABSPATH . 'wp-admin/includes/plugin.php';\n` +
        `deactivate_plugins( 'contact-bridge/contact-bridge.php' );\n` +
        `uninstall_plugin( 'contact-bridge/contact-bridge.php' );\n`,
    );

    expect(await count(site.pool, `\`${site.prefix}options\``, "option_name LIKE 'contact\\_bridge\\_%' OR option_name LIKE '\\_transient%contact\\_bridge%'")).to.equal(0);
    const [table] = await rows<{ n: number }>(
      site.pool,
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
      [`${site.prefix}contact_bridge_queue`],
    );
    expect(Number(table.n)).to.equal(0);
    expect((await option(site, 'cron')) ?? '').to.not.contain('contact_bridge');
  });

  it('when all of the above has run, then the plugin has logged no PHP notice, warning or error', function () {
    expect(pluginLogLines(site)).to.deep.equal([]);
  });
});
