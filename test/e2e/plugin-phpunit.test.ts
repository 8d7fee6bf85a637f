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

  /** Runs phpunit over test/php against the site; its output is printed for .ci/run to count. */
  async function runPhpUnit(label: string, command: string, args: string[], extra: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; text: string }> {
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, [...args, '--configuration', path.join(repoRoot, 'test', 'php', 'phpunit.xml')], {
        cwd: extra.cwd,
        env: {
          ...process.env,
          ...extra.env,
          CB_WP_SITE_DIR: site.wp.siteDir,
          CB_WP_URL: site.wp.url,
          CB_WP_ADMIN: site.wp.adminUser,
          CB_SIDECAR_URL: site.sidecar.url,
          CB_SIDECAR_SECRET: site.secret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.setEncoding('utf8').on('data', (d: string) => output.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => output.push(d));
      child.on('error', reject);
      child.on('close', resolve);
    });
    const text = output.join('');
    process.stdout.write(`\n--- PHPUnit (test/php, ${label}) ---\n${text}\n--- end of PHPUnit ---\n`);
    return { code, text };
  }

  it('when phpunit runs test/php against the site, then every test passes', async function () {
    this.timeout(300_000);
    const { code, text } = await runPhpUnit('Debian PHP', 'php', ['-d', 'memory_limit=512M', PHPUNIT]);

    expect(code, text.slice(-3000)).to.equal(0);
    expect(text).to.match(/^OK \(\d+ tests?, \d+ assertions?\)/m);
  });

  it('when the same suite runs under PHP 7.4 (the oldest the plugin claims), then every test passes but the one in a separate process', async function () {
    this.timeout(600_000);
    // PHP 7.4.33 built for Node (@php-wasm/node-7-4, chosen by PHP=7.4) sees the files under
    // its working directory: from / it sees the site, Debian's WordPress and PHPUnit. It cannot
    // start a PHP child process, so the one test that needs its own process (it defines
    // constants) runs under Debian's PHP only; and it does not pass PHP's exit status on, so the
    // summary line is the verdict. --verbose prints the runtime, checked below.
    const cli = path.join(repoRoot, 'node_modules', '.bin', 'php-wasm-cli');
    const { text } = await runPhpUnit(
      'PHP 7.4',
      cli,
      ['-d', 'memory_limit=512M', path.join(repoRoot, 'test', 'php74', 'phpunit.php'), '--verbose', '--exclude-group', 'separate-process'],
      { cwd: '/', env: { PHP: '7.4' } },
    );

    expect(text).to.match(/^Runtime: +PHP 7\.4\.\d+/m);
    expect(text).to.match(/^OK \(\d+ tests?, \d+ assertions?\)/m);
  });
});
