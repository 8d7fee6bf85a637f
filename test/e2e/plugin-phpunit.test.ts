/**
 * The plugin's PHPUnit suite (test/php/), run by Debian's phpunit against a real WordPress
 * installed for it (Debian's package, its own installer, the plugin active). Its output is
 * printed as it is, so that the run's summary ("OK (N tests, …)" or "Tests: N, …") is counted
 * by .ci/run next to mocha's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { startBridgeSite, type BridgeSite } from './support/bridge-site';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const PHPUNIT = process.env.PHPUNIT ?? '/usr/bin/phpunit';

describe('e2e: the plugin\'s PHPUnit suite (real WordPress, real database)', function () {
  let site: BridgeSite;

  before(async function () {
    this.timeout(180_000);
    site = await startBridgeSite('phpunit', { constants: false });
  });
  after(async function () {
    this.timeout(60_000);
    await site?.close();
  });

  it('when phpunit runs test/php against the site, then every test passes', async function () {
    this.timeout(300_000);
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('php', ['-d', 'memory_limit=512M', PHPUNIT, '--configuration', path.join(repoRoot, 'test', 'php', 'phpunit.xml')], {
        env: { ...process.env, CB_WP_SITE_DIR: site.wp.siteDir, CB_WP_URL: site.wp.url, CB_WP_ADMIN: site.wp.adminUser, CB_SIDECAR_URL: site.sidecar.url, CB_SIDECAR_SECRET: site.secret },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.setEncoding('utf8').on('data', (d: string) => output.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => output.push(d));
      child.on('error', reject);
      child.on('close', resolve);
    });
    const text = output.join('');
    process.stdout.write(`\n--- PHPUnit (test/php) ---\n${text}\n--- end of PHPUnit ---\n`);

    expect(code, text.slice(-3000)).to.equal(0);
    expect(text).to.match(/^OK \(\d+ tests?, \d+ assertions?\)/m);
  });
});
