/**
 * `npm run package` (tools/package-plugin.ts): the zip a site owner uploads, read back by
 * WordPress's own unzipper (PclZip, from Debian's wordpress package: what WordPress uses when
 * php-zip is missing, as here) and by PHP's ZipArchive when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { packagePlugin, type PackageResult } from '../../tools/package-plugin';
import { packageVersion, readField, wordpressMajorMinor } from '../../tools/plugin-version';

const root = path.resolve(__dirname, '../../..');
const WORDPRESS = '/usr/share/wordpress';

interface Unpacked {
  filename: string;
  folder: boolean;
  status: string;
  content: string;
}

/** Every entry of the zip as PclZip extracts it (names, folder flags, contents). */
function unpackWithPclZip(zip: string): Unpacked[] {
  const code =
    `define( 'ABSPATH', '${WORDPRESS}/' ); require ABSPATH . 'wp-admin/includes/class-pclzip.php';\n` +
    `$zip = new PclZip( $argv[1] ); $list = $zip->extract( PCLZIP_OPT_EXTRACT_AS_STRING );\n` +
    `if ( ! is_array( $list ) ) { fwrite( STDERR, $zip->errorInfo( true ) ); exit( 1 ); }\n` +
    `echo json_encode( array_map( function ( $e ) { return array( 'filename' => $e['filename'], 'folder' => (bool) $e['folder'], 'status' => $e['status'], 'content' => (string) $e['content'] ); }, $list ) );\n`;
  const run = spawnSync('php', ['-r', code, zip], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(run.status, run.stderr).to.equal(0);
  return JSON.parse(run.stdout) as Unpacked[];
}

describe('npm run package: the plugin zip', function () {
  let outDir: string;
  let result: PackageResult;
  let entries: Unpacked[];

  before(function () {
    this.timeout(60_000);
    outDir = mkdtempSync(path.join(os.tmpdir(), 'contact-bridge-package-'));
    result = packagePlugin({ outDir });
    entries = unpackWithPclZip(result.zipPath);
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('when the plugin is packaged, then the zip is contact-bridge-<package.json version>.zip and WordPress\'s unzipper reads every entry', () => {
    expect(path.basename(result.zipPath)).to.equal(`contact-bridge-${packageVersion(root)}.zip`);
    expect(entries.map((e) => e.filename)).to.deep.equal(result.entries);
    expect(entries.filter((e) => e.status !== 'ok')).to.deep.equal([]);
  });

  it('when the zip is unpacked, then it holds one folder contact-bridge/ with the plugin only: PHP, JS, CSS, the .pot, readme.txt, uninstall.php', () => {
    const files = entries.filter((e) => !e.folder).map((e) => e.filename);

    expect(files.every((f) => f.startsWith('contact-bridge/'))).to.equal(true);
    expect(files).to.include.members([
      'contact-bridge/contact-bridge.php',
      'contact-bridge/uninstall.php',
      'contact-bridge/readme.txt',
      'contact-bridge/languages/contact-bridge.pot',
      'contact-bridge/admin/js/run-panel.js',
      'contact-bridge/admin/css/sync-page.css',
      'contact-bridge/includes/class-contact-bridge-client.php',
    ]);
    const others = files.filter((f) => !/\.(php|js|css)$/.test(f) && f !== 'contact-bridge/readme.txt' && f !== 'contact-bridge/languages/contact-bridge.pot');
    expect(others).to.deep.equal([]);
    expect(files.filter((f) => /test|phpunit|\/\.|node_modules|\.ts$|\.map$/i.test(f))).to.deep.equal([]);
  });

  it('when the zip is unpacked, then each file is byte for byte the repository\'s, the version lines written from package.json', () => {
    const version = packageVersion(root);
    for (const entry of entries.filter((e) => !e.folder)) {
      const source = readFileSync(path.join(root, 'wp-plugin-shim', entry.filename.slice('contact-bridge/'.length)), 'utf8');
      if (entry.filename === 'contact-bridge/contact-bridge.php' || entry.filename === 'contact-bridge/readme.txt') continue;
      expect(entry.content, entry.filename).to.equal(source);
    }
    const main = entries.find((e) => e.filename === 'contact-bridge/contact-bridge.php')!.content;
    const readme = entries.find((e) => e.filename === 'contact-bridge/readme.txt')!.content;
    expect([readField('header', main), readField('constant', main), readField('stableTag', readme)]).to.deep.equal([version, version, version]);
    expect(readField('testedUpTo', readme)).to.equal(wordpressMajorMinor(WORDPRESS));
    expect(readField('testedUpTo', readme)).to.match(/^\d+\.\d+$/);
  });

  it('when the .pot is regenerated, then the committed one was already current and holds the settings page\'s version strings', () => {
    const pot = readFileSync(path.join(root, 'wp-plugin-shim', 'languages', 'contact-bridge.pot'), 'utf8');

    expect(result.potChanged, 'the committed .pot was stale: npm run package rewrote it, commit it').to.equal(false);
    expect(pot).to.contain(`"Project-Id-Version: contact-bridge ${packageVersion(root)}\\n"`);
    expect(pot).to.contain('msgid "Plugin version"');
    expect(pot).to.match(/#\. translators: 1: the plugin's version, 2: the sidecar's version/);
  });

  it('when PHP\'s ZipArchive is installed, then it opens the zip too (WordPress prefers it over PclZip)', function () {
    const probe = spawnSync('php', ['-r', 'echo class_exists("ZipArchive") ? "yes" : "no";'], { encoding: 'utf8' });
    if (probe.stdout !== 'yes') this.skip(); // php-zip is not installed on this machine: WordPress uses PclZip (above)
    const run = spawnSync('php', ['-r', '$z = new ZipArchive(); if ( true !== $z->open( $argv[1], ZipArchive::CHECKCONS ) ) exit( 1 ); echo $z->numFiles;', result.zipPath], { encoding: 'utf8' });
    expect(run.stdout).to.equal(String(result.entries.length));
  });
});
