/**
 * wp-admin in a real browser (Debian's Chromium) and over plain HTTP: the settings page,
 * Tools → Synchronize Users to Contacts, and who may use them.
 */
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { count, insertContact, insertUser } from '../support/fixtures';
import { rows } from '../support/database';
import { launchChromium, loggedInPage } from './support/browser';
import {
  createUserWithApi,
  eventually,
  linkOf,
  pluginLogLines,
  startBridgeSite,
  testOutputDir,
  type BridgeSite,
} from './support/bridge-site';
import { WpSession } from './support/wp-http';

const SYNC_PAGE = '/wp-admin/tools.php?page=contact-bridge-sync';
const HOSTILE_LOGIN = '<img src=x onerror=alert(1)>';

interface CrmState {
  contacts: unknown[];
  emails: unknown[];
  links: unknown[];
}

async function crmState(site: BridgeSite): Promise<CrmState> {
  return {
    contacts: await rows(site.pool, 'SELECT * FROM civicrm_contact ORDER BY id'),
    emails: await rows(site.pool, 'SELECT * FROM civicrm_email ORDER BY id'),
    links: await rows(site.pool, 'SELECT * FROM civicrm_uf_match ORDER BY id'),
  };
}

async function syncRunCount(site: BridgeSite): Promise<number> {
  const response = await site.sidecar.request('GET', '/v1/sync');
  expect(response.status).to.equal(200);
  return (response.data as { runs: unknown[] }).runs.length;
}

async function summaryLines(page: Page): Promise<string[]> {
  return (await page.locator('#contact-bridge-sync-summary p').allTextContents()).map((t) => t.trim());
}

describe('e2e: wp-admin pages of the shim', function () {
  let site: BridgeSite;
  let browser: BrowserContext;
  let page: Page;
  let matchedUserId: number;
  let matchingContactId: number;
  let newUserIds: number[];
  let conflictUserId: number;
  let skippedUserId: number;
  const browserErrors: string[] = [];

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('admin');
    // Users that existed before the bridge: written straight into WordPress's tables, no hooks.
    matchingContactId = await insertContact(site.pool, { firstName: 'Grace', lastName: 'Hopper', emails: ['grace@example.org'] });
    matchedUserId = await insertUser(site.pool, site.prefix, { login: 'grace', email: 'Grace@Example.org' });
    newUserIds = [
      await insertUser(site.pool, site.prefix, { login: 'alan', email: 'alan@example.org', firstName: 'Alan', lastName: 'Turing' }),
      await insertUser(site.pool, site.prefix, { login: 'edsger', email: 'edsger@example.org' }),
    ];
    // Same address as grace, who comes first in id order: a conflict, never a second link.
    conflictUserId = await insertUser(site.pool, site.prefix, { login: 'grace-again', email: 'grace@example.org' });
    // No email and no names: skipped. Its login is markup, to prove the page escapes it.
    skippedUserId = await insertUser(site.pool, site.prefix, { login: HOSTILE_LOGIN, email: '' });

    browser = await launchChromium(site.workDir);
    page = await loggedInPage(browser, site.wp, browserErrors);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await site?.close();
  });

  it('when the admin logs in, then the login event links the admin to a new contact', async function () {
    const [admin] = await rows<{ ID: number }>(site.pool, `SELECT ID FROM \`${site.prefix}users\` WHERE user_login = ?`, [site.wp.adminUser]);
    await eventually('admin linked', async () => ((await linkOf(site, admin.ID)).length === 1 ? true : undefined));
    expect((await linkOf(site, admin.ID))[0].uf_name).to.equal(site.wp.adminEmail);
  });

  it('when the admin opens Settings → Contact Bridge and tests the connection, then the wp-config.php values are read-only, the secret is not shown, and the sidecar answers', async function () {
    await page.goto(`${site.wp.url}/wp-admin/options-general.php?page=contact-bridge`);
    const html = await page.content();
    expect(html).to.not.contain(site.secret);
    expect(await page.locator('#contact_bridge_url').getAttribute('readonly')).to.not.equal(null);
    expect(await page.locator('#contact_bridge_url').inputValue()).to.equal(site.sidecar.url);
    expect(await page.locator('#contact_bridge_secret').inputValue()).to.equal('');
    expect(await page.locator('#contact-bridge-queued').innerText()).to.match(/^0\b/);

    await Promise.all([page.waitForURL(/page=contact-bridge$/), page.click('#contact-bridge-test')]);

    expect(await page.locator('#contact-bridge-test-result').innerText()).to.contain('Connected');
    expect(await page.content()).to.not.contain(site.secret);
    await page.screenshot({ path: path.join(testOutputDir, 'settings-page.png'), fullPage: true });
  });

  it('when the admin clicks Dry run, then the summary says what would happen and nothing is written', async function () {
    const before = await crmState(site);

    await page.goto(`${site.wp.url}${SYNC_PAGE}`);
    await page.click('#contact-bridge-sync-dry-run');
    await page.locator('#contact-bridge-sync-summary').waitFor({ timeout: 60_000 });

    expect(await page.locator('#contact-bridge-sync-summary').innerText()).to.contain('Dry run');
    expect(await page.locator('#contact-bridge-sync-counts tr[data-count="created"] td').innerText()).to.equal('2');
    expect(await crmState(site)).to.deep.equal(before);
  });

  it('when the admin clicks OK on Tools → Synchronize Users to Contacts, then the progress and CiviCRM’s summary are shown and the database agrees', async function () {
    const contactsBefore = await count(site.pool, 'civicrm_contact');
    const users = await count(site.pool, `\`${site.prefix}users\``);

    await page.goto(`${site.wp.url}${SYNC_PAGE}`);
    expect(await page.locator('#contact-bridge-sync').innerText()).to.contain('Do you want to continue?');
    await page.click('#contact-bridge-sync-ok');
    await page.locator('#contact-bridge-sync-progress').waitFor({ state: 'visible' });
    await page.locator('#contact-bridge-sync-summary').waitFor({ timeout: 60_000 });

    expect(await page.locator('#contact-bridge-sync-progress-text').innerText()).to.equal(
      `Finished: ${users} of ${users} user records processed.`,
    );
    expect(await page.locator('#contact-bridge-sync-bar').evaluate((el) => Number((el as unknown as { value: number }).value))).to.equal(users);
    // admin (linked at login) + grace (matched by email) are "matching"; alan and edsger are new.
    expect(await summaryLines(page)).to.deep.equal([
      `Checked ${users} user records.`,
      'Found 2 matching contact records.',
      'Created 2 new contact records.',
    ]);
    const counts = await page.locator('#contact-bridge-sync-counts tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-count'), (tr as unknown as { innerText: string }).innerText.split('\t').pop()?.trim()]),
    );
    expect(Object.fromEntries(counts)).to.deep.equal({
      checked: String(users),
      already_linked: '1',
      matched: '1',
      created: '2',
      updated: '0',
      unlinked: '0',
      skipped: '1',
      conflicts: '1',
      errors: '0',
    });
    const conflictRows = page.locator('#contact-bridge-sync-conflicts tbody tr');
    const conflictLinks = await conflictRows.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(conflictLinks.some((href) => href.endsWith(`user-edit.php?user_id=${conflictUserId}`)), conflictLinks.join()).to.equal(true);
    expect(conflictLinks.some((href) => href.endsWith(`user-edit.php?user_id=${skippedUserId}`)), conflictLinks.join()).to.equal(true);
    expect(await page.locator('#contact-bridge-sync-conflicts').innerText()).to.contain(HOSTILE_LOGIN);
    expect(await page.locator('#contact-bridge-sync-result img').count()).to.equal(0);
    await page.screenshot({ path: path.join(testOutputDir, 'sync-page.png'), fullPage: true });

    expect(await count(site.pool, 'civicrm_contact')).to.equal(contactsBefore + 2);
    expect((await linkOf(site, matchedUserId)).map((l) => [l.contact_id, l.uf_name])).to.deep.equal([[matchingContactId, 'grace@example.org']]);
    for (const id of newUserIds) expect(await linkOf(site, id), `user ${id}`).to.have.length(1);
    expect(await linkOf(site, conflictUserId)).to.deep.equal([]);
    expect(await linkOf(site, skippedUserId)).to.deep.equal([]);
    expect(
      await count(site.pool, `\`${site.prefix}users\` u`, 'NOT EXISTS (SELECT 1 FROM civicrm_uf_match m WHERE m.uf_id = u.ID)'),
    ).to.equal(2);
  });

  it('when a subscriber opens the page or calls its ajax action with a nonce of their own, then both are refused and no run starts', async function () {
    const password = 'subscriber-password-1';
    await createUserWithApi(site, { login: 'sub', email: 'sub@example.org', password, role: 'subscriber' });
    const subscriber = new WpSession(site.wp.url);
    await subscriber.login('sub', password);
    const cookie = subscriber.cookie('wordpress_logged_in_');
    const nonce = (
      await site.wp.runPhp(
        `$_COOKIE[ LOGGED_IN_COOKIE ] = urldecode( '${cookie?.value ?? ''}' );\n` +
          `wp_set_current_user( get_user_by( 'login', 'sub' )->ID );\necho wp_create_nonce( 'contact_bridge_sync' );\n`,
      )
    ).trim();
    const runsBefore = await syncRunCount(site);

    const pageResponse = await subscriber.get(SYNC_PAGE);
    const ajax = await subscriber.post('/wp-admin/admin-ajax.php', [
      ['action', 'contact_bridge_sync_start'],
      ['nonce', nonce],
      ['dry_run', '0'],
    ]);

    expect(pageResponse.status).to.equal(403);
    expect(pageResponse.body).to.not.contain('Do you want to continue?');
    expect(ajax.status).to.equal(403);
    expect(JSON.parse(ajax.body)).to.include({ success: false });
    expect(await syncRunCount(site)).to.equal(runsBefore);
  });

  it('when an admin request to the ajax actions carries no valid nonce, then it is refused and no run starts', async function () {
    const admin = new WpSession(site.wp.url);
    await admin.login(site.wp.adminUser, site.wp.adminPassword);
    const runsBefore = await syncRunCount(site);

    const forged = await admin.post('/wp-admin/admin-ajax.php', [
      ['action', 'contact_bridge_sync_start'],
      ['nonce', 'a1b2c3d4e5'],
      ['dry_run', '0'],
    ]);
    const missing = await admin.post('/wp-admin/admin-ajax.php', [['action', 'contact_bridge_sync_status'], ['run_id', '1']]);

    expect([forged.status, forged.body]).to.deep.equal([403, '-1']);
    expect([missing.status, missing.body]).to.deep.equal([403, '-1']);
    expect(await syncRunCount(site)).to.equal(runsBefore);
  });

  it('when all of the above has run, then the plugin has logged no PHP notice, warning or error and the browser saw no script error', function () {
    expect(pluginLogLines(site)).to.deep.equal([]);
    expect(browserErrors).to.deep.equal([]);
  });
});
