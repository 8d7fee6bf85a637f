/**
 * A real WordPress network (Debian's WordPress made multisite by its own network functions,
 * sites in subdirectories, the plugin network-activated) and the real sidecar with site two
 * mapped to CRM domain 2 (CRM_DOMAIN_BY_BLOG=2:2); site three shares the network's domain 1.
 * In Debian's Chromium: a site administrator sees neither the network's sync nor its
 * conflicts; a site with a domain of its own gets its sync, for that domain only; a user
 * deleted from the network is unlinked in every domain.
 */
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { rows } from '../support/database';
import { insertUser } from '../support/fixtures';
import { launchChromium } from './support/browser';
import { eventually, pluginLogLines, startBridgeSite, type BridgeSite } from './support/bridge-site';

const PASSWORD = 'Multisite-e2e-password-1';
const TWIN = 'network.twin@example.org';

interface Link {
  domain_id: number;
  uf_id: number;
}

async function linksOf(site: BridgeSite, userId: number): Promise<Link[]> {
  return rows<Link>(site.pool, 'SELECT domain_id, uf_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [userId]);
}

async function runs(site: BridgeSite): Promise<Array<{ id: number; domain_id: number; status: string }>> {
  return rows(site.pool, 'SELECT id, domain_id, status FROM contact_bridge_sync_run ORDER BY id');
}

describe('e2e: a WordPress network (multisite)', function () {
  let site: BridgeSite;
  let browser: BrowserContext;
  let page: Page;
  let ids: { two: number; three: number; adminTwo: number; adminThree: number };
  let twins: number[];

  async function logInAs(login: string, password: string): Promise<void> {
    await browser.clearCookies();
    await page.goto(`${site.wp.url}/wp-login.php`);
    await page.fill('#user_login', login);
    await page.fill('#user_pass', password);
    await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
  }

  before(async function () {
    this.timeout(180_000);
    site = await startBridgeSite('multisite', { multisite: true });
    // Domain 2 for site two: the sidecar has migrated the database; it starts again with the mapping.
    await site.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Site two')`);
    await site.sidecar.stop();
    await site.sidecar.start({ CRM_DOMAIN_BY_BLOG: '2:2' });
    // Two sites and their administrators, made with the functions Network Admin → Sites and Users use.
    const two = await site.wp.addSite('two', 'Site two');
    const three = await site.wp.addSite('three', 'Site three');
    const out = await site.wp.runPhp(
      `$admin_two = wpmu_create_user( 'admin-two', '${PASSWORD}', 'admin.two@example.org' );\n` +
        `$admin_three = wpmu_create_user( 'admin-three', '${PASSWORD}', 'admin.three@example.org' );\n` +
        `add_user_to_blog( ${two}, $admin_two, 'administrator' );\n` +
        `add_user_to_blog( ${three}, $admin_three, 'administrator' );\n` +
        `echo wp_json_encode( array( 'two' => ${two}, 'three' => ${three}, 'adminTwo' => $admin_two, 'adminThree' => $admin_three ) );\n`,
    );
    try {
      ids = JSON.parse(out.trim());
    } catch {
      throw new Error(`creating the site administrators failed: ${out.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(-600)}`);
    }
    // Two network users with one address (written as an import would): the second is a conflict in domain 1.
    twins = [await insertUser(site.pool, site.prefix, { login: 'twin-one', email: TWIN }), await insertUser(site.pool, site.prefix, { login: 'twin-two', email: TWIN })];
    const started = await site.sidecar.request('POST', '/v1/sync', { dry_run: false, domain_id: 1 });
    expect(started.status).to.equal(202);
    await eventually('the network sync ends', async () => ((await site.sidecar.request('GET', `/v1/sync/${started.data.id}?domain_id=1`)).data.status === 'completed' ? true : undefined));
    const conflicts = await site.sidecar.request('GET', '/v1/conflicts?domain_id=1');
    expect(JSON.stringify(conflicts.data)).to.contain(TWIN);

    browser = await launchChromium(site.workDir);
    page = await browser.newPage();
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await site?.close();
  });

  it('when the administrator of a site that shares the network\'s domain opens wp-admin, then neither the network\'s sync nor its conflicts nor its settings are reachable, by page or by ajax', async function () {
    const runsBefore = await runs(site);
    await logInAs('admin-three', PASSWORD);

    await page.goto(`${site.wp.url}/three/wp-admin/`);
    const dashboard = await page.content();
    const syncPage = await page.goto(`${site.wp.url}/three/wp-admin/tools.php?page=contact-bridge-sync`);
    const syncHtml = await page.content();
    const settingsPage = await page.goto(`${site.wp.url}/three/wp-admin/options-general.php?page=contact-bridge`);
    const networkSync = await page.goto(`${site.wp.url}/wp-admin/network/users.php?page=contact-bridge-sync`);
    const networkHtml = await page.content();
    await page.goto(`${site.wp.url}/three/wp-admin/users.php`);
    const usersHtml = await page.content();
    const healthPage = await page.goto(`${site.wp.url}/three/wp-admin/tools.php?page=contact-bridge-health`);
    const healthHtml = await page.content();
    const networkHealth = await page.goto(`${site.wp.url}/wp-admin/network/users.php?page=contact-bridge-health`);
    const networkHealthHtml = await page.content();
    await page.goto(`${site.wp.url}/three/wp-admin/profile.php`);
    const profileHtml = await page.content();
    const lastRun = runsBefore[runsBefore.length - 1];
    const ajax = await page.evaluate(async ({ url, runId }) => {
      const answers: Array<{ status: number; body: string }> = [];
      for (const fields of [
        { action: 'contact_bridge_sync_start', scope: 'network', dry_run: '0', nonce: 'x' },
        { action: 'contact_bridge_sync_start', scope: 'site', dry_run: '0', nonce: 'x' },
        { action: 'contact_bridge_sync_status', scope: 'network', run_id: String(runId), nonce: 'x' },
        { action: 'contact_bridge_sync_status', scope: 'site', run_id: String(runId), nonce: 'x' },
        { action: 'contact_bridge_repair_start', scope: 'network', dry_run: '0', nonce: 'x' },
        { action: 'contact_bridge_repair_start', scope: 'site', dry_run: '0', nonce: 'x' },
        { action: 'contact_bridge_repair_status', scope: 'network', repair_id: '1', nonce: 'x' },
      ]) {
        const body = new FormData();
        for (const [k, v] of Object.entries(fields)) body.append(k, v);
        const response = await fetch(url, { method: 'POST', body, credentials: 'same-origin' });
        answers.push({ status: response.status, body: await response.text() });
      }
      return answers;
    }, { url: `${site.wp.url}/three/wp-admin/admin-ajax.php`, runId: lastRun.id });

    expect(dashboard, 'no menu entry').to.not.contain('Synchronize Users to Contacts');
    expect(syncPage?.status()).to.equal(403);
    expect(syncHtml).to.contain('Sorry, you are not allowed to access this page.');
    expect(settingsPage?.status()).to.equal(403);
    expect(networkSync?.status(), 'the network screen').to.be.oneOf([302, 403, 200]);
    expect(networkHtml).to.not.contain('contact-bridge-sync-ok');
    expect(usersHtml, 'no CRM contact column').to.not.contain('CRM contact');
    expect(ajax.map((a) => a.status)).to.deep.equal([403, 403, 403, 403, 403, 403, 403]);
    expect(dashboard, 'no Link health menu entry').to.not.contain('Link health');
    expect(healthPage?.status()).to.equal(403);
    expect(healthHtml).to.not.contain('contact-bridge-health-repair');
    expect(networkHealth?.status(), 'the network screen').to.be.oneOf([302, 403, 200]);
    expect(networkHealthHtml).to.not.contain('contact-bridge-health-repair');
    expect(profileHtml, 'no CRM contact section on a site sharing the network\'s domain').to.not.contain('contact-bridge-reconcile');
    for (const html of [dashboard, syncHtml, networkHtml, usersHtml, healthHtml, networkHealthHtml, ...ajax.map((a) => a.body)]) expect(html).to.not.contain(TWIN);
    expect(await runs(site), 'no run was started').to.deep.equal(runsBefore);
    expect(await rows(site.pool, 'SELECT id FROM contact_bridge_repair_run'), 'no repair was started').to.deep.equal([]);
  });

  it('when the administrator of a site mapped to its own CRM domain runs Tools → Synchronize, then the run is that domain\'s and the page shows that domain\'s result', async function () {
    const runsBefore = await runs(site);
    await logInAs('admin-two', PASSWORD);
    await page.goto(`${site.wp.url}/two/wp-admin/`);
    expect(await page.content()).to.contain('Synchronize Users to Contacts');

    await page.goto(`${site.wp.url}/two/wp-admin/tools.php?page=contact-bridge-sync`);
    await page.click('#contact-bridge-sync-ok');
    await page.waitForSelector('#contact-bridge-sync-summary', { timeout: 60_000 });
    const summary = await page.locator('#contact-bridge-sync-summary').innerText();

    const after = await runs(site);
    expect(after.length).to.equal(runsBefore.length + 1);
    expect(after[after.length - 1]).to.deep.include({ domain_id: 2, status: 'completed' });
    expect(summary).to.match(/Checked \d+ user records/);
    // The network's domain was not synchronised: its runs are as before.
    expect(after.filter((r) => r.domain_id === 1)).to.deep.equal(runsBefore.filter((r) => r.domain_id === 1));
    // Its Users screen has the column, for domain 2.
    await page.goto(`${site.wp.url}/two/wp-admin/users.php`);
    expect(await page.content()).to.contain('CRM contact');
    // Its Link health is domain 2's: the counts are that domain's, and a dry run is recorded there.
    const domainTwo = await site.sidecar.request('GET', '/v1/health?domain_id=2');
    await page.goto(`${site.wp.url}/two/wp-admin/tools.php?page=contact-bridge-health`);
    const shown = await page.locator('#contact-bridge-health-counts tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-kind') ?? '', Number((tr.querySelector('td')?.textContent ?? '').trim())]),
    );
    expect(Object.fromEntries(shown)).to.deep.equal(domainTwo.data.counts);
    await page.click('#contact-bridge-health-dry-run');
    await page.locator('#contact-bridge-repair-summary').waitFor({ timeout: 60_000 });
    expect(await rows(site.pool, 'SELECT domain_id, dry_run, status FROM contact_bridge_repair_run')).to.deep.equal([{ domain_id: 2, dry_run: 1, status: 'completed' }]);
    // Its administrator's own profile has the CRM contact section, for domain 2.
    await page.goto(`${site.wp.url}/two/wp-admin/profile.php`);
    expect(await page.locator('#contact-bridge-profile-contact a').getAttribute('data-contact-id')).to.equal(
      String((await rows<{ contact_id: number }>(site.pool, 'SELECT contact_id FROM civicrm_uf_match WHERE uf_id = ? AND domain_id = 2', [ids.adminTwo]))[0].contact_id),
    );
    expect(await linksOf(site, ids.adminTwo)).to.deep.include({ domain_id: 2, uf_id: ids.adminTwo });
  });

  it('when the network administrator opens the network screens, then the settings and the network\'s sync are there', async function () {
    await logInAs(site.wp.adminUser, site.wp.adminPassword);

    const settings = await page.goto(`${site.wp.url}/wp-admin/network/settings.php?page=contact-bridge`);
    const settingsHtml = await page.content();
    const sync = await page.goto(`${site.wp.url}/wp-admin/network/users.php?page=contact-bridge-sync`);

    expect(settings?.status()).to.equal(200);
    expect(await page.locator('#contact-bridge-sync-ok').count()).to.equal(1);
    expect(sync?.status()).to.equal(200);
    expect(settingsHtml).to.not.contain(site.secret);
    expect(settingsHtml).to.contain('Set in wp-config.php (CONTACT_BRIDGE_URL).');
    const health = await page.goto(`${site.wp.url}/wp-admin/network/users.php?page=contact-bridge-health`);
    expect(health?.status()).to.equal(200);
    expect(await page.locator('#contact-bridge-health-repair').count()).to.equal(1);
    // The twins' conflict of domain 1 is the network's finding.
    const network = await site.sidecar.request('GET', '/v1/health?domain_id=1');
    expect(await page.locator('#contact-bridge-health-counts tr[data-kind="user_unlinked"] td').innerText()).to.equal(String(network.data.counts.user_unlinked));
    expect(network.data.counts.user_unlinked).to.be.at.least(1);
    await page.goto(`${site.wp.url}/wp-admin/network/user-edit.php?user_id=${twins[1]}`);
    expect(await page.locator('#contact-bridge-profile-state').getAttribute('data-state')).to.equal('not_linked');

    // The CRM contact URL is a network option, saved on the network's settings form.
    await page.goto(`${site.wp.url}/wp-admin/network/settings.php?page=contact-bridge`);
    await page.fill('#contact_bridge_crm_url', 'https://crm.example/contact/{id}');
    await Promise.all([page.waitForURL(/updated=true/), page.click('#submit')]);
    const stored = await rows<{ meta_value: string }>(site.pool, `SELECT meta_value FROM \`${site.prefix}sitemeta\` WHERE meta_key = 'contact_bridge_crm_url'`);
    expect(stored.map((r) => r.meta_value)).to.deep.equal(['https://crm.example/contact/{id}']);
    expect(await rows(site.pool, `SELECT option_id FROM \`${site.prefix}options\` WHERE option_name = 'contact_bridge_crm_url'`)).to.deep.equal([]);
    await page.goto(`${site.wp.url}/wp-admin/network/user-edit.php?user_id=${twins[0]}`);
    const twinContact = (await rows<{ contact_id: number }>(site.pool, 'SELECT contact_id FROM civicrm_uf_match WHERE uf_id = ? AND domain_id = 1', [twins[0]]))[0].contact_id;
    expect(await page.locator('#contact-bridge-profile-contact a').getAttribute('href')).to.equal(`https://crm.example/contact/${twinContact}`);
  });

  it('when a user linked in domains 1 and 2 is deleted from the network (wpmu_delete_user), then it is unlinked in both', async function () {
    const out = await site.wp.runPhp(
      `$id = wpmu_create_user( 'roamer', '${PASSWORD}', 'roamer@example.org' );\n` +
        `add_user_to_blog( ${ids.two}, $id, 'subscriber' );\n` +
        `do_action( 'profile_update', $id, get_userdata( $id ) ); // on the main site: domain 1\n` +
        `switch_to_blog( ${ids.two} );\n` +
        `do_action( 'profile_update', $id, get_userdata( $id ) ); // on site two: domain 2\n` +
        `restore_current_blog();\n` +
        `echo $id;\n`,
    );
    const roamer = Number(out.trim());
    await eventually('linked in both domains', async () => ((await linksOf(site, roamer)).length === 2 ? true : undefined));

    await site.wp.runPhp(`require_once ABSPATH . 'wp-admin/includes/ms.php';\nwpmu_delete_user( ${roamer} );\n`);

    expect(await rows(site.pool, `SELECT ID FROM \`${site.prefix}users\` WHERE ID = ?`, [roamer])).to.deep.equal([]);
    await eventually('unlinked in every domain', async () => ((await linksOf(site, roamer)).length === 0 ? true : undefined));
    expect(await rows(site.pool, `SELECT user_id FROM \`${site.prefix}contact_bridge_queue\` WHERE user_id = ?`, [roamer])).to.deep.equal([]);
  });

  it('when a network user is added to the site mapped to domain 2 (add_user_to_blog), then it is linked there; removed from it (remove_user_from_blog), then unlinked there only, its contact kept', async function () {
    const out = await site.wp.runPhp(`$id = wpmu_create_user( 'joiner', '${PASSWORD}', 'joiner@example.org' );\necho $id;\n`);
    const joiner = Number(out.trim());
    await eventually('linked in domain 1', async () => ((await linksOf(site, joiner)).length === 1 ? true : undefined));
    expect(await linksOf(site, joiner)).to.deep.include({ domain_id: 1, uf_id: joiner });

    await site.wp.runPhp(`add_user_to_blog( ${ids.two}, ${joiner}, 'subscriber' );\n`);
    await eventually('linked in domain 2 too', async () => ((await linksOf(site, joiner)).length === 2 ? true : undefined));
    const [inTwo] = await rows<{ contact_id: number }>(site.pool, 'SELECT contact_id FROM civicrm_uf_match WHERE uf_id = ? AND domain_id = 2', [joiner]);

    await site.wp.runPhp(`remove_user_from_blog( ${joiner}, ${ids.two} );\n`);
    await eventually('unlinked in domain 2', async () => ((await linksOf(site, joiner)).length === 1 ? true : undefined));

    expect(await linksOf(site, joiner)).to.deep.include({ domain_id: 1, uf_id: joiner });
    expect(await rows(site.pool, 'SELECT is_deleted FROM civicrm_contact WHERE id = ?', [inTwo.contact_id])).to.deep.equal([{ is_deleted: 0 }]);
  });

  it('when all of the above has run, then the plugin has logged no PHP notice, warning or error', function () {
    expect(pluginLogLines(site)).to.deep.equal([]);
    expect(twins).to.have.length(2);
  });
});
