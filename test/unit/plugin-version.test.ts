/**
 * package.json's "version" is the one source of the plugin's version: `npm run package` writes it
 * into the zip, and the files in the repository must already say the same.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { packageVersion, readField, readPluginFields, wordpressMajorMinor, writeField } from '../../tools/plugin-version';
import { writeZip } from '../../tools/zip-writer';

const root = path.resolve(__dirname, '../../..');

describe('the plugin\'s version (one source: package.json)', () => {
  it('when the plugin header, CONTACT_BRIDGE_VERSION and readme.txt\'s Stable tag are read, then each is package.json\'s version', () => {
    const version = packageVersion(root);

    const fields = readPluginFields(path.join(root, 'wp-plugin-shim'));

    expect({ header: fields.header, constant: fields.constant, stableTag: fields.stableTag }).to.deep.equal({
      header: version,
      constant: version,
      stableTag: version,
    });
  });

  it('when a version is written into the main file, then only the header and the constant change', () => {
    const text = "<?php\n/**\n * Plugin Name: X\n * Version:           0.1.0\n * Requires PHP:      7.4\n */\ndefine( 'CONTACT_BRIDGE_VERSION', '0.1.0' );\ndefine( 'OTHER', '0.1.0' );\n";

    const stamped = writeField('constant', writeField('header', text, '1.2.3'), '1.2.3');

    expect(stamped).to.equal(text.replace(' * Version:           0.1.0', ' * Version:           1.2.3').replace("'CONTACT_BRIDGE_VERSION', '0.1.0'", "'CONTACT_BRIDGE_VERSION', '1.2.3'"));
    expect(readField('header', stamped)).to.equal('1.2.3');
  });

  it('when a file has no such line, then reading or writing it fails with the field\'s name', () => {
    expect(() => readField('stableTag', '=== X ===\nTested up to: 6.1\n')).to.throw(/no stableTag line in readme\.txt/);
    expect(() => writeField('header', '<?php\n', '1.0.0')).to.throw(/no header line in contact-bridge\.php/);
  });

  it('when package.json\'s version is not x.y.z or WordPress\'s version.php has none, then packaging stops with a message naming it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'contact-bridge-version-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'contact-bridge', version: "1.0.0'; evil();" }));
      mkdirSync(path.join(dir, 'wp-includes'));
      writeFileSync(path.join(dir, 'wp-includes', 'version.php'), "<?php\n$wp_db_version = 53496;\n");

      expect(() => packageVersion(dir)).to.throw(/package\.json's version must be x\.y\.z/);
      expect(() => wordpressMajorMinor(dir)).to.throw(/no \$wp_version in .*version\.php/);
      writeFileSync(path.join(dir, 'wp-includes', 'version.php'), "<?php\n$wp_version = '6.1.9';\n");
      expect(wordpressMajorMinor(dir)).to.equal('6.1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the zip writer of npm run package', () => {
  it('when a zip entry would land outside its folder, then the writer refuses it', () => {
    const mtime = new Date('2026-01-01T00:00:00Z');
    expect(() => writeZip([{ name: 'contact-bridge/../../wp-config.php', data: Buffer.from('x'), mtime }])).to.throw(/unsafe entry name/);
    expect(() => writeZip([{ name: '/etc/passwd', data: Buffer.from('x'), mtime }])).to.throw(/unsafe entry name/);
  });
});
