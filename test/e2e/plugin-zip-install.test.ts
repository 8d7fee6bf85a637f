/**
 * The plugin installed as a site owner installs it: `npm run package`'s zip uploaded through
 * Plugins → Add New → Upload Plugin of a fresh WordPress that has no contact-bridge, activated,
 * configured on its settings page, the connection tested, and a user added in wp-admin linked.
 * Real WordPress (Debian's package, its own upgrader and unzipper), real Chromium, real sidecar.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { contact, emailsOf } from '../support/fixtures';
import { packagePlugin, type PackageResult } from '../../tools/package-plugin';
import { packageVersion } from '../../tools/plugin-version';
import { launchChromium, loggedInPage } from './support/browser';
import { eventually, linkOf, pluginLogLines, startBridgeSite, testOutputDir, userIdByLogin, type BridgeSite } from './support/bridge-site';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const SETTINGS_PAGE = '/wp-admin/options-general.php?page=contact-bridge';

describe('e2e: the plugin zip uploaded in wp-admin of a fresh WordPress', function () {
  let site: BridgeSite;
  let zip: PackageResult;
  let browser: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];

  before(async function () {
    this.timeout(180_000);
    site = await startBridgeSite('zip', { pluginByUpload: true });
    zip = packagePlugin({ outDir: site.workDir });
    browser = await launchChromium(site.workDir);
    page = await loggedInPage(browser, site.wp, browserErrors);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await site?.close();
  });

  it('when the site starts, then it has no contact-bridge plugin at all', async function () {
    expect(existsSync(path.join(site.wp.siteDir, 'wp-content', 'plugins', 'contact-bridge'))).to.equal(false);
    await page.goto(`${site.wp.url}/wp-admin/plugins.php`);
    expect(await page.locator('tr[data-slug="contact-bridge"]').count()).to.equal(0);
  });

  it('when the admin uploads the zip on Plugins → Add New → Upload Plugin and activates it, then WordPress unpacks it into plugins/contact-bridge and the plugin is active at package.json\'s version', async function () {
    this.timeout(120_000);
    await page.goto(`${site.wp.url}/wp-admin/plugins.php`);
    await Promise.all([page.waitForURL(/plugin-install\.php/), page.click('#menu-plugins a[href="plugin-install.php"]')]);
    await page.click('a.upload-view-toggle');
    await page.locator('#pluginzip').setInputFiles(zip.zipPath);
    await page.screenshot({ path: path.join(testOutputDir, 'plugin-zip-upload-form.png'), fullPage: true });
    await Promise.all([page.waitForURL(/update\.php\?action=upload-plugin/), page.click('#install-plugin-submit')]);

    const result = await page.locator('#wpbody-content .wrap').innerText();
    expect(result).to.contain('Plugin installed successfully.');
    await page.screenshot({ path: path.join(testOutputDir, 'plugin-zip-installed.png'), fullPage: true });
    await Promise.all([page.waitForURL(/plugins\.php/), page.click('#wpbody-content a.button-primary:has-text("Activate Plugin")')]);

    const row = page.locator('tr[data-slug="contact-bridge"]');
    expect(await row.getAttribute('class')).to.match(/\bactive\b/);
    expect(await row.innerText()).to.contain(`Version ${packageVersion(repoRoot)}`);
    const out = await site.wp.runPhp(
      `require_once ABSPATH . 'wp-admin/includes/plugin.php';\n` +
        `echo wp_json_encode( array( 'active' => is_plugin_active( 'contact-bridge/contact-bridge.php' ), 'version' => get_plugin_data( WP_PLUGIN_DIR . '/contact-bridge/contact-bridge.php', false, false )['Version'] ) );\n`,
    );
    expect(JSON.parse(out)).to.deep.equal({ active: true, version: zip.version });
    expect(existsSync(path.join(site.wp.siteDir, 'wp-content', 'plugins', 'contact-bridge', 'languages', 'contact-bridge.pot'))).to.equal(true);
    await page.screenshot({ path: path.join(testOutputDir, 'plugin-zip-activated.png'), fullPage: true });
  });

  it('when the admin saves the sidecar URL and secret and clicks Test connection, then it says connected and shows both versions with no warning', async function () {
    await page.goto(`${site.wp.url}${SETTINGS_PAGE}`);
    await page.fill('#contact_bridge_url', site.sidecar.url);
    await page.fill('#contact_bridge_secret', site.secret);
    await Promise.all([page.waitForURL(/settings-updated=true/), page.click('#contact-bridge-settings-form #submit')]);
    await Promise.all([page.waitForURL(/page=contact-bridge$/), page.click('#contact-bridge-test')]);

    expect(await page.locator('#contact-bridge-test-result').innerText()).to.contain('Connected');
    const version = packageVersion(repoRoot);
    expect(await page.locator('#contact-bridge-plugin-version').innerText()).to.equal(version);
    expect(await page.locator('#contact-bridge-sidecar-version').innerText()).to.equal(version);
    expect(await page.locator('#contact-bridge-sidecar-signature').innerText()).to.equal('v2');
    expect(await page.locator('.contact-bridge-version-warning').count()).to.equal(0);
    expect(await page.content()).to.not.contain(site.secret);
    await page.screenshot({ path: path.join(testOutputDir, 'plugin-zip-settings-connected.png'), fullPage: true });
  });

  it('when the admin adds a user on Users → Add New, then the user is linked to a new contact with the address', async function () {
    this.timeout(120_000);
    await page.goto(`${site.wp.url}/wp-admin/user-new.php`);
    await page.fill('#user_login', 'zip-ada');
    await page.fill('#email', 'ada.zip@example.org');
    await page.fill('#first_name', 'Ada');
    await page.fill('#last_name', 'Lovelace');
    await Promise.all([page.waitForURL(/users\.php/), page.click('#createusersub')]);

    const userId = await eventually('user zip-ada', () => userIdByLogin(site, 'zip-ada'));
    const [link] = await eventually('zip-ada linked', async () => {
      const links = await linkOf(site, userId);
      return links.length > 0 ? links : undefined;
    });
    expect(await linkOf(site, userId)).to.have.length(1);
    expect(link.uf_name).to.equal('ada.zip@example.org');
    const person = await contact(site.pool, link.contact_id);
    expect(person).to.deep.include({ contact_type: 'Individual', first_name: 'Ada', last_name: 'Lovelace', is_deleted: 0 });
    expect((await emailsOf(site.pool, link.contact_id)).map((e) => [e.email, e.is_primary])).to.deep.equal([['ada.zip@example.org', 1]]);
    await page.screenshot({ path: path.join(testOutputDir, 'plugin-zip-user-added.png'), fullPage: true });
  });

  it('when the suite ends, then the browser saw no error and the plugin logged no PHP notice', function () {
    expect(browserErrors).to.deep.equal([]);
    expect(pluginLogLines(site)).to.deep.equal([]);
  });
});
