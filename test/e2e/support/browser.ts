/**
 * Debian's Chromium driven by playwright-core: headless, a fresh profile, never a download.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(workDir: string): Promise<BrowserContext> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} not found. Run tools/ensure-system-packages.sh --with-browser (as root).`);
  }
  const profile = mkdtempSync(path.join(workDir, 'chromium-profile-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new page logged in to wp-admin through wp-login.php. Script errors and the site's own
 * failed requests (other hosts are unreachable here: emoji CDN, fonts) are pushed to errors.
 */
export async function loggedInPage(
  browser: BrowserContext,
  wp: { url: string; adminUser: string; adminPassword: string },
  errors: string[],
): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('response', (response) => {
    if (response.status() >= 400 && response.url().startsWith(wp.url)) errors.push(`HTTP ${response.status()} ${response.url()}`);
  });
  await page.goto(`${wp.url}/wp-login.php`);
  await page.fill('#user_login', wp.adminUser);
  await page.fill('#user_pass', wp.adminPassword);
  await Promise.all([page.waitForURL(/\/wp-admin\/?$/), page.click('#wp-submit')]);
  return page;
}
