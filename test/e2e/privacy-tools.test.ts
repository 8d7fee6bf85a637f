/**
 * Tools → Export Personal Data and Tools → Erase Personal Data in a real browser (Debian's
 * Chromium) on a real WordPress with the real plugin and the real sidecar process: a request
 * added without a confirmation email, run from the screen as an administrator would, the export
 * zip read back, and after the erasure the database: the bridge's rows for that user gone or kept
 * as designed, its queued event gone, the CRM contact as it was, another user untouched.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { rows } from '../support/database';
import { launchChromium, loggedInPage } from './support/browser';
import { createUserWithApi, eventually, linkOf, pluginLogLines, startBridgeSite, type BridgeSite } from './support/bridge-site';

/** The CRM's rows of a contact: contact, emails, links. */
async function crmRows(site: BridgeSite, contactId: number): Promise<unknown> {
  return {
    contact: await rows(site.pool, 'SELECT * FROM civicrm_contact WHERE id = ?', [contactId]),
    emails: await rows(site.pool, 'SELECT * FROM civicrm_email WHERE contact_id = ? ORDER BY id', [contactId]),
    links: await rows(site.pool, 'SELECT * FROM civicrm_uf_match WHERE contact_id = ? ORDER BY id', [contactId]),
  };
}

/** What the bridge keeps of a user: its audit and state rows (sidecar) and its queued events (plugin). */
async function bridgeRows(site: BridgeSite, userId: number) {
  return {
    audit: await rows<{ action: string }>(site.pool, 'SELECT action, contact_id, reason, source FROM contact_bridge_audit WHERE uf_id = ? ORDER BY id', [userId]),
    state: await rows<{ applied_email: string | null }>(site.pool, 'SELECT domain_id, contact_id, applied_email, applied_first_name, applied_last_name FROM contact_bridge_user_state WHERE uf_id = ?', [userId]),
    queue: await rows(site.pool, `SELECT event, blog_id FROM \`${site.prefix}contact_bridge_queue\` WHERE user_id = ?`, [userId]),
  };
}

/** A queued event that waits (as after a failed delivery): written and deferred by the plugin's own queue. */
async function queueDeferred(site: BridgeSite, userId: number): Promise<void> {
  await site.wp.runPhp(
    `Contact_Bridge_Queue::push( 'profile_update', ${userId}, 1 );\n` +
      `foreach ( Contact_Bridge_Queue::due( 100, time() ) as $row ) { if ( (int) $row['user_id'] === ${userId} ) { Contact_Bridge_Queue::defer( $row, 'HTTP 503: busy', 3600 ); } }\n`,
  );
}

/** Adds a request on a privacy screen, without the confirmation email (the request is confirmed at once). */
async function addRequest(page: Page, site: BridgeSite, screen: string, email: string): Promise<void> {
  await page.goto(`${site.wp.url}/wp-admin/${screen}`);
  await page.fill('#username_or_email_for_privacy_request', email);
  await page.uncheck('#send_confirmation_email');
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.locator('.notice-success').first().waitFor();
}

describe('e2e: Tools → Export / Erase Personal Data', function () {
  let site: BridgeSite;
  let browser: BrowserContext;
  let page: Page;
  let ann: number;
  let bob: number;
  let annContact: number;
  const email = 'ann.privacy@example.org';
  const ajax: Array<{ action: string; body: any }> = [];
  const browserErrors: string[] = [];

  before(async function () {
    this.timeout(180_000);
    site = await startBridgeSite('privacy');
    ann = await createUserWithApi(site, { login: 'ann', email, password: 'Ann-password-1', firstName: 'Ann', lastName: 'Lee' });
    bob = await createUserWithApi(site, { login: 'bob', email: 'bob.privacy@example.org', password: 'Bob-password-1', firstName: 'Bob' });
    annContact = await eventually('ann linked', async () => (await linkOf(site, ann))[0]?.contact_id ?? undefined);
    await eventually('bob linked', async () => (await linkOf(site, bob))[0]?.contact_id ?? undefined);
    await queueDeferred(site, ann);
    await queueDeferred(site, bob);

    browser = await launchChromium(site.workDir);
    page = await loggedInPage(browser, site.wp, browserErrors);
    page.on('response', async (response) => {
      const sent = response.request().postData() ?? '';
      const action = /(?:^|&)action=(wp-privacy-[a-z-]+)/.exec(sent)?.[1];
      if (response.url().includes('/admin-ajax.php') && action) ajax.push({ action, body: await response.json().catch(() => null) });
    });
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await site?.close();
  });

  afterEach(() => {
    expect(browserErrors, 'no script errors in wp-admin').to.deep.equal([]);
    expect(pluginLogLines(site), 'no PHP or database errors from the plugin').to.deep.equal([]);
  });

  it('when the admin downloads a linked user\'s export from the request\'s row action, then the zip has the bridge\'s queued event, link and history, and nothing changed', async function () {
    this.timeout(120_000);
    const before = await bridgeRows(site, ann);
    expect(before.audit.map((a) => a.action)).to.deep.equal(['created']);
    expect(before.queue).to.have.length(1);
    await addRequest(page, site, 'export-personal-data.php', email);

    const row = page.locator('tr', { has: page.locator(`a[href="mailto:${email}"]`) });
    await row.hover();
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('.row-actions .export-personal-data-idle .export-personal-data-handle').click()]);
    const zip = await download.path();

    const exported = execFileSync('php', ['-r', '$z = new ZipArchive(); $z->open($argv[1]); echo $z->getFromName("export.json");', zip], { encoding: 'utf8' });
    const groups = Object.values(JSON.parse(exported))[0] as Record<string, { items: Record<string, Array<{ name: string; value: string }>> }>;
    const first = (group: string) => Object.fromEntries(Object.values(groups[group].items)[0].map((f) => [f.name, f.value]));
    expect(first('contact-bridge-queue')).to.include({ Event: 'profile_update', 'Last error': 'HTTP 503: busy' });
    expect(first('contact-bridge-link')).to.include({ 'CRM contact ID': String(annContact), 'Email address last applied': email, 'First name last applied': 'Ann', 'Last name last applied': 'Lee' });
    expect(first('contact-bridge-history')).to.include({ Outcome: 'created', 'CRM contact ID': String(annContact), Cause: 'user_register' });
    const pages = ajax.filter((a) => a.action === 'wp-privacy-export-personal-data');
    expect(pages.every((p) => p.body?.success === true), JSON.stringify(pages)).to.equal(true);
    expect(await bridgeRows(site, ann)).to.deep.equal(before);
  });

  it('when the admin erases the user\'s data from the request, then the bridge\'s history and queued event are gone, the link is kept with WordPress\'s message, and the CRM contact and the other user are unchanged', async function () {
    this.timeout(120_000);
    const crmBefore = await crmRows(site, annContact);
    const bobBefore = await bridgeRows(site, bob);
    const annState = (await bridgeRows(site, ann)).state;
    ajax.length = 0;
    await addRequest(page, site, 'erase-personal-data.php', email);

    const row = page.locator('tr', { has: page.locator(`a[href="mailto:${email}"]`) });
    await row.locator('.column-next_steps .remove-personal-data-idle .remove-personal-data-handle').click();
    const result = page.locator('.request-results .notice');
    await result.waitFor();

    expect(await result.getAttribute('class')).to.include('notice-warning'); // found, and some of it kept
    const shown = await result.innerText();
    expect(shown).to.include('Personal data was found for this user but some of the personal data found was not erased.');
    expect(shown).to.include('The CRM contact itself is never changed or deleted by an erasure.');
    const after = await bridgeRows(site, ann);
    expect(after.audit).to.deep.equal([]);
    expect(after.queue).to.deep.equal([]);
    expect(after.state).to.deep.equal(annState);
    expect(after.state[0].applied_email).to.equal(email);
    expect(await crmRows(site, annContact)).to.deep.equal(crmBefore);
    expect(await bridgeRows(site, bob)).to.deep.equal(bobBefore);
    const erasures = ajax.filter((a) => a.action === 'wp-privacy-erase-personal-data');
    expect(erasures.length).to.be.at.least(2); // WordPress's own erasers, the queue's, the sidecar's
    expect(erasures.every((e) => e.body?.success === true), JSON.stringify(erasures)).to.equal(true);
  });

  it('when the sidecar is down during an erasure, then WordPress reports an error and leaves the request unfinished, the sidecar\'s rows stay, and a run once it is back completes it', async function () {
    this.timeout(120_000);
    const bobEmail = 'bob.privacy@example.org';
    const before = await bridgeRows(site, bob);
    expect(before.audit).to.have.length(1);
    ajax.length = 0;
    await site.sidecar.stop();
    try {
      await addRequest(page, site, 'erase-personal-data.php', bobEmail);
      const row = page.locator('tr', { has: page.locator(`a[href="mailto:${bobEmail}"]`) });
      await row.locator('.column-next_steps .remove-personal-data-idle .remove-personal-data-handle').click();
      const result = page.locator('.request-results .notice');
      await result.waitFor();

      expect(await result.getAttribute('class')).to.include('notice-error');
      const failed = ajax.find((a) => a.action === 'wp-privacy-erase-personal-data' && a.body?.success === false);
      expect(failed?.body.data[0].message).to.include('nothing it keeps of this person was erased by this step');
      const during = await bridgeRows(site, bob);
      expect([during.audit, during.state]).to.deep.equal([before.audit, before.state]);
      const [request] = await rows<{ post_status: string }>(site.pool, `SELECT post_status FROM \`${site.prefix}posts\` WHERE post_type = 'user_request' AND post_title = ? AND post_name = 'remove_personal_data'`, [bobEmail]);
      expect(request.post_status).to.equal('request-confirmed'); // not marked completed
    } finally {
      await site.sidecar.start();
    }

    await page.reload();
    const row = page.locator('tr', { has: page.locator(`a[href="mailto:${bobEmail}"]`) });
    await row.locator('.column-next_steps .remove-personal-data-idle .remove-personal-data-handle').click();
    await page.locator('.request-results .notice-warning').waitFor();

    expect((await bridgeRows(site, bob)).audit).to.deep.equal([]);
    const [done] = await rows<{ post_status: string }>(site.pool, `SELECT post_status FROM \`${site.prefix}posts\` WHERE post_type = 'user_request' AND post_title = ? AND post_name = 'remove_personal_data'`, [bobEmail]);
    expect(done.post_status).to.equal('request-completed');
  });

  it('when the admin opens the privacy policy guide, then it has the plugin\'s text saying an erasure never touches the CRM contact', async function () {
    await page.goto(`${site.wp.url}/wp-admin/privacy-policy-guide.php`);

    const text = await page.locator('.privacy-settings-accordion-panel, .policy-text').allInnerTexts();
    expect(text.join('\n')).to.include('Erasing your personal data with Contact Bridge never touches your CRM contact');
  });
});
