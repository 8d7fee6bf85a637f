/**
 * Link health in a real browser (Debian's Chromium), on a real WordPress with the real plugin
 * and the real sidecar process: the CRM contact URL setting and the links it makes, a user's
 * "CRM contact" section with its state and Reconcile now, and Tools → Link health with damage
 * planted in the database (a link whose user is gone, a user whose address changed behind
 * WordPress's back, a uf_name edited in the CRM): the findings and counts, a dry run that
 * writes nothing, a repair that fixes what the rules allow and leaves what needs a person.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { rows } from '../support/database';
import { deleteUser, emailsOf } from '../support/fixtures';
import { launchChromium, loggedInPage } from './support/browser';
import { WpSession } from './support/wp-http';
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

/** The CRM side and WordPress's users, whole. */
async function databaseState(site: BridgeSite): Promise<unknown> {
  return {
    contacts: await rows(site.pool, 'SELECT * FROM civicrm_contact ORDER BY id'),
    emails: await rows(site.pool, 'SELECT * FROM civicrm_email ORDER BY id'),
    links: await rows(site.pool, 'SELECT * FROM civicrm_uf_match ORDER BY id'),
    users: await rows(site.pool, `SELECT * FROM \`${site.prefix}users\` ORDER BY ID`),
  };
}

/** The counts table of the screen: kind => number. */
async function shownCounts(page: Page): Promise<Record<string, number>> {
  const pairs = await page.locator('#contact-bridge-health-counts tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.getAttribute('data-kind') ?? '', (tr.querySelector('td')?.textContent ?? '').trim()]),
  );
  return Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)]));
}

/** Found / repaired / left of every kind in a repair's outcome. */
async function repairCounts(page: Page): Promise<Record<string, [number, number, number]>> {
  const pairs = await page.locator('#contact-bridge-repair-counts tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.getAttribute('data-kind') ?? '', [...tr.querySelectorAll('td')].map((td) => Number((td.textContent ?? '').trim()))]),
  );
  return Object.fromEntries(pairs) as Record<string, [number, number, number]>;
}

/** Rows of the findings table: [kind, user id] (the kind of a row is its data-kind). */
async function findingRows(page: Page): Promise<Array<[string, string]>> {
  return page.locator('#contact-bridge-health-findings tbody tr[data-kind]').evaluateAll((trs) =>
    trs.map((tr) => [tr.getAttribute('data-kind') ?? '', tr.getAttribute('data-user-id') ?? ''] as [string, string]),
  );
}

describe('e2e: Link health, the CRM contact URL and the profile screen', function () {
  let site: BridgeSite;
  let browser: BrowserContext;
  let page: Page;
  let ann: number;
  let bob: number;
  let cara: number;
  let dave: number;
  let annContact: number;
  let bobContact: number;
  let caraContact: number;
  let daveContact: number;
  const browserErrors: string[] = [];

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('health');
    ann = await createUserWithApi(site, { login: 'ann', email: 'ann@example.org', password: 'Ann-password-1', firstName: 'Ann', lastName: 'Lee' });
    bob = await createUserWithApi(site, { login: 'bob', email: 'bob@example.org', password: 'Bob-password-1' });
    cara = await createUserWithApi(site, { login: 'cara', email: 'cara@example.org', password: 'Cara-password-1' });
    dave = await createUserWithApi(site, { login: 'dave', email: 'dave@example.org', password: 'Dave-password-1' });
    annContact = await linkedContact(site, ann);
    bobContact = await linkedContact(site, bob);
    caraContact = await linkedContact(site, cara);
    daveContact = await linkedContact(site, dave);

    browser = await launchChromium(site.workDir);
    page = await loggedInPage(browser, site.wp, browserErrors);
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
    await page.evaluate('window.scrollTo(0, 0)');
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
    expect(state).to.equal('ok');
    expect(await page.locator('#contact-bridge-profile-state').innerText()).to.contain('OK: linked, and the link agrees with the user');
    expect(await page.locator('#contact-bridge-profile-findings').count()).to.equal(0);
    expect(await page.locator('#contact-bridge-reconcile').innerText()).to.equal('Reconcile now');
  });

  it('when links are damaged in the database and the admin opens Tools → Link health, then the counts and every finding are listed with its user, contacts, explanation and repair', async function () {
    // bob is deleted behind WordPress's back (his link stays), cara's address is changed behind
    // its back (WordPress changed it: a reconcile carries it), dave's uf_name is edited in the CRM.
    await deleteUser(site.pool, site.prefix, bob);
    await site.pool.query(`UPDATE \`${site.prefix}users\` SET user_email = 'cara.new@example.org' WHERE ID = ?`, [cara]);
    await site.pool.query(`UPDATE civicrm_uf_match SET uf_name = 'dave.crm@example.org' WHERE uf_id = ?`, [dave]);
    const report = await site.sidecar.request('GET', '/v1/health');
    expect(report.status).to.equal(200);

    await page.goto(`${site.wp.url}/wp-admin/tools.php?page=contact-bridge-health`);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(testOutputDir, 'link-health.png'), fullPage: true });
    expect(await page.locator('script[src*="contact-bridge/admin/js/health-page.js"]').count()).to.equal(1);
    expect(await page.locator('link[href*="contact-bridge/admin/css/health-page.css"]').count()).to.equal(1);

    const counts = await shownCounts(page);
    expect(counts).to.deep.equal(report.data.counts);
    expect(counts).to.include({ link_user_gone: 1, uf_name_drift: 2, user_unlinked: 0 });
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(3);
    expect(await findingRows(page)).to.deep.equal([
      ['link_user_gone', String(bob)],
      ['uf_name_drift', String(cara)],
      ['uf_name_drift', String(dave)],
    ]);
    const bobRow = page.locator(`#contact-bridge-health-findings tr[data-user-id="${bob}"]`);
    expect(await bobRow.locator('td.column-user').innerText()).to.equal(`User #${bob} (no longer exists)`);
    expect(await bobRow.locator('a.contact-bridge-contact-link').getAttribute('href')).to.equal(DEFAULT_CONTACT_URL(site.wp.url, bobContact));
    expect(await bobRow.locator('td.column-explanation').innerText()).to.contain(`names user ${bob}, who no longer exists`);
    expect(await bobRow.locator('td.column-repair').innerText()).to.equal(`remove the link (contact ${bobContact} kept)`);
    const caraRow = page.locator(`#contact-bridge-health-findings tr[data-user-id="${cara}"]`);
    expect(await caraRow.locator('td.column-user a').getAttribute('href')).to.equal(`${site.wp.url}/wp-admin/user-edit.php?user_id=${cara}`);
    expect(await caraRow.locator('td.column-repair').innerText()).to.contain("WordPress's address goes to the link and the contact");
    const daveRow = page.locator(`#contact-bridge-health-findings tr[data-user-id="${dave}"]`);
    expect(await daveRow.locator('a.contact-bridge-contact-link').getAttribute('data-contact-id')).to.equal(String(daveContact));
    expect(await daveRow.locator('td.column-repair').innerText()).to.equal('Needs a person');
    // The views: All and the two kinds found, with their counts.
    expect((await page.locator('ul.subsubsub li').allInnerTexts()).map((t) => t.replace(/\s*\|\s*$/, '').trim())).to.deep.equal([
      'All (3)',
      'Link to a user that no longer exists (1)',
      'Link’s email differs from the user’s (2)',
    ]);
  });

  it('when the admin picks one kind, or the findings fill more than a page, then the sidecar\'s cursor pages through them', async function () {
    await page.click('ul.subsubsub a[data-kind="uf_name_drift"]');
    await page.waitForURL(/kind=uf_name_drift/);
    expect(await findingRows(page)).to.deep.equal([
      ['uf_name_drift', String(cara)],
      ['uf_name_drift', String(dave)],
    ]);

    // Two findings a page (a must-use plugin of the site sets the filter).
    const muPlugins = path.join(site.wp.siteDir, 'wp-content', 'mu-plugins');
    mkdirSync(muPlugins, { recursive: true });
    const perPage = path.join(muPlugins, 'contact-bridge-e2e-per-page.php');
    writeFileSync(perPage, "<?php\nadd_filter( 'contact_bridge_health_per_page', function () { return 2; } );\n");
    try {
      await page.goto(`${site.wp.url}/wp-admin/tools.php?page=contact-bridge-health`);
      const first = await findingRows(page);
      expect(await page.locator('.tablenav.top .displaying-num').innerText()).to.equal('1–2 of 3');
      await Promise.all([page.waitForURL(/after=/), page.locator('.tablenav.top a.next-page').click()]);
      const second = await findingRows(page);
      expect(await page.locator('.tablenav.top .displaying-num').innerText()).to.equal('3–3 of 3');
      expect(await page.locator('.tablenav.top a.next-page').count()).to.equal(0);

      expect([...first, ...second]).to.deep.equal([
        ['link_user_gone', String(bob)],
        ['uf_name_drift', String(cara)],
        ['uf_name_drift', String(dave)],
      ]);
    } finally {
      rmSync(perPage, { force: true });
    }
  });

  it('when the admin clicks Dry run, then the changes a repair would make are listed with the counts and nothing is written', async function () {
    const before = await databaseState(site);
    await page.goto(`${site.wp.url}/wp-admin/tools.php?page=contact-bridge-health`);

    await page.click('#contact-bridge-health-dry-run');
    await page.locator('#contact-bridge-repair-summary').waitFor({ timeout: 60_000 });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(testOutputDir, 'link-health-dry-run.png'), fullPage: true });

    expect(await page.locator('#contact-bridge-repair-summary').innerText()).to.contain('Dry run: nothing was changed.');
    expect(await page.locator('#contact-bridge-health-progress-text').innerText()).to.match(/^Finished: (\d+) of \1 user records checked\.$/);
    const counts = await repairCounts(page);
    expect(counts.link_user_gone).to.deep.equal([1, 1, 0]);
    expect(counts.uf_name_drift).to.deep.equal([2, 1, 1]);
    expect(counts.user_unlinked).to.deep.equal([0, 0, 0]);
    const changes = await page.locator('#contact-bridge-repair-changes tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-kind'), tr.getAttribute('data-user-id'), (tr.querySelector('td:last-child')?.textContent ?? '').trim()]),
    );
    expect(changes).to.deep.equal([
      ['link_user_gone', String(bob), `remove the link (contact ${bobContact} kept)`],
      ['uf_name_drift', String(cara), "reconcile: WordPress's address goes to the link and the contact"],
    ]);
    expect(await databaseState(site)).to.deep.equal(before);
  });

  it('when the admin clicks Repair, then the link of the gone user is removed, the drifted address is carried, what needs a person is left, and the database agrees', async function () {
    await page.goto(`${site.wp.url}/wp-admin/tools.php?page=contact-bridge-health`);

    await page.click('#contact-bridge-health-repair');
    await page.locator('#contact-bridge-repair-summary').waitFor({ timeout: 60_000 });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(testOutputDir, 'link-health-repair.png'), fullPage: true });

    expect(await page.locator('#contact-bridge-repair-summary').innerText()).to.contain('Repair finished.');
    const counts = await repairCounts(page);
    expect(counts.link_user_gone).to.deep.equal([1, 1, 0]);
    expect(counts.uf_name_drift).to.deep.equal([2, 1, 1]);
    expect(await page.locator('#contact-bridge-repair-changes').count()).to.equal(0);
    expect(await linkOf(site, bob)).to.deep.equal([]);
    expect(await rows(site.pool, 'SELECT id FROM civicrm_contact WHERE id = ?', [bobContact])).to.have.length(1);
    expect((await linkOf(site, cara)).map((l) => [l.contact_id, l.uf_name])).to.deep.equal([[caraContact, 'cara.new@example.org']]);
    expect((await emailsOf(site.pool, caraContact)).filter((e) => e.is_primary).map((e) => e.email)).to.deep.equal(['cara.new@example.org']);
    expect((await linkOf(site, dave)).map((l) => [l.contact_id, l.uf_name])).to.deep.equal([[daveContact, 'dave.crm@example.org']]);

    await Promise.all([page.waitForURL(/page=contact-bridge-health$/), page.click('#contact-bridge-health-reload')]);
    expect(await findingRows(page)).to.deep.equal([['uf_name_drift', String(dave)]]);
    expect(await shownCounts(page)).to.include({ link_user_gone: 0, uf_name_drift: 1 });
  });

  it('when the admin opens the profile of a user whose link needs a person, then the section says drift with the finding, and the Users column says drift too', async function () {
    await page.goto(`${site.wp.url}/wp-admin/user-edit.php?user_id=${dave}`);
    await page.locator('#contact-bridge-profile').scrollIntoViewIfNeeded();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(testOutputDir, 'profile-state.png'), fullPage: true });

    expect(await page.locator('#contact-bridge-profile-state').getAttribute('data-state')).to.equal('drift');
    expect(await page.locator('#contact-bridge-profile-state').innerText()).to.contain('Drift: the link or the contact no longer agrees with the user');
    expect(await page.locator('#contact-bridge-profile-findings li[data-kind="uf_name_drift"]').innerText()).to.contain('Needs a person.');
    expect(await page.locator('#contact-bridge-profile-contact a').getAttribute('data-contact-id')).to.equal(String(daveContact));

    await page.goto(`${site.wp.url}/wp-admin/users.php`);
    expect(await page.locator('script[src*="health-page.js"], link[href*="health-page.css"]').count(), 'assets on their screen only').to.equal(0);
    const states = await page.locator('.contact-bridge-state').evaluateAll((spans) =>
      spans.map((s) => [s.closest('tr')?.id ?? '', s.getAttribute('data-state'), (s.textContent ?? '').trim()]),
    );
    expect(states).to.deep.equal([[`user-${dave}`, 'drift', 'drift']]);
  });

  it('when a user\'s email was changed behind WordPress\'s back and the admin clicks Reconcile now, then the notice gives the outcome and the link and the contact follow the new address', async function () {
    await site.pool.query(`UPDATE \`${site.prefix}users\` SET user_email = 'ann.lee@example.org' WHERE ID = ?`, [ann]);
    expect((await linkOf(site, ann))[0].uf_name).to.equal('ann@example.org');

    await page.goto(`${site.wp.url}/wp-admin/user-edit.php?user_id=${ann}`);
    expect(await page.locator('#contact-bridge-profile-state').getAttribute('data-state')).to.equal('drift');
    await Promise.all([page.waitForURL(new RegExp(`user-edit\\.php\\?user_id=${ann}$`)), page.click('#contact-bridge-reconcile')]);

    const notice = page.locator('#contact-bridge-reconcile-notice');
    expect(await notice.getAttribute('data-action')).to.equal('updated');
    expect(await notice.innerText()).to.contain(`Reconciled: updated. Contact #${annContact}.`);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(testOutputDir, 'profile-reconcile-now.png'), fullPage: true });
    expect((await linkOf(site, ann)).map((l) => [l.contact_id, l.uf_name])).to.deep.equal([[annContact, 'ann.lee@example.org']]);
    expect((await emailsOf(site.pool, annContact)).filter((e) => e.is_primary).map((e) => e.email)).to.deep.equal(['ann.lee@example.org']);
    // Nothing of the profile form was submitted: the profile is as it was.
    const [meta] = await rows<{ meta_value: string }>(site.pool, `SELECT meta_value FROM \`${site.prefix}usermeta\` WHERE user_id = ? AND meta_key = 'first_name'`, [ann]);
    expect(meta.meta_value).to.equal('Ann');
    expect(await page.locator('#contact-bridge-profile-state').getAttribute('data-state')).to.equal('ok');
  });

  it('when a subscriber posts Reconcile now for another user, with or without a nonce of their own, then it is refused and the CRM is not touched', async function () {
    await site.pool.query(`UPDATE \`${site.prefix}users\` SET user_email = 'ann.other@example.org' WHERE ID = ?`, [ann]);
    const password = 'Sub-password-1';
    await createUserWithApi(site, { login: 'sub', email: 'sub@example.org', password });
    const subscriber = new WpSession(site.wp.url);
    await subscriber.login('sub', password);
    const cookie = subscriber.cookie('wordpress_logged_in_');
    const ownNonce = (
      await site.wp.runPhp(
        `$_COOKIE[ LOGGED_IN_COOKIE ] = urldecode( '${cookie?.value ?? ''}' );\n` +
          `wp_set_current_user( get_user_by( 'login', 'sub' )->ID );\necho wp_create_nonce( 'contact_bridge_reconcile_site_1_${ann}' );\n`,
      )
    ).trim();
    // The subscriber's own registration and login are delivered first: what follows must change nothing.
    await eventually('the new user\'s events are delivered', async () => ((await rows(site.pool, `SELECT id FROM \`${site.prefix}contact_bridge_queue\``)).length === 0 ? true : undefined));
    const settled = await databaseState(site);

    const answers = [];
    for (const nonce of [ownNonce, '']) {
      answers.push(
        await subscriber.post('/wp-admin/admin-post.php', [
          ['action', 'contact_bridge_reconcile'],
          ['user_id', String(ann)],
          ['scope', 'site'],
          ['_wpnonce', nonce],
        ]),
      );
    }

    expect(answers.map((a) => a.status)).to.deep.equal([403, 403]);
    expect(answers[0].body).to.contain('Sorry, you are not allowed to do that.');
    expect(await databaseState(site)).to.deep.equal(settled);
    expect((await linkOf(site, ann))[0].uf_name, 'ann\'s drift is still there').to.equal('ann.lee@example.org');
  });

  it('when all of the above has run, then the plugin has logged no PHP notice, warning or error and the browser saw no script error', function () {
    expect(pluginLogLines(site)).to.deep.equal([]);
    expect(browserErrors).to.deep.equal([]);
  });
});
