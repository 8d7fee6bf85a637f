/**
 * `npm run package`: build/contact-bridge-<version>.zip, the plugin as a site owner uploads it
 * (Plugins → Add New → Upload Plugin): one top folder contact-bridge/ with the plugin's PHP, JS,
 * CSS, languages/contact-bridge.pot, readme.txt and uninstall.php, nothing else.
 *
 * The version comes from package.json and is written into the plugin header, CONTACT_BRIDGE_VERSION
 * and readme.txt's Stable tag; "Tested up to" is the WordPress the tests run (Debian's package).
 * The .pot is regenerated first, in the repository (it is committed), with gettext's xgettext.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVersion, wordpressMajorMinor, writeField } from './plugin-version';
import { findRepoRoot } from './wordpress-local';
import { writeZip, type ZipEntry } from './zip-writer';

export const PLUGIN_SLUG = 'contact-bridge';
const POT = `languages/${PLUGIN_SLUG}.pot`;

/** WordPress's translation functions as xgettext keywords (what `wp i18n make-pot` looks for). */
const KEYWORDS = ['__', '_e', 'esc_html__', 'esc_html_e', 'esc_attr__', 'esc_attr_e', '_n:1,2', '_x:1,2c', '_nx:1,2,4c', 'esc_html_x:1,2c', 'esc_attr_x:1,2c'];

/** What goes into the zip: the plugin's code, styles, scripts, template and readme; never tests or dev files. */
function belongsInZip(relative: string): boolean {
  if (relative.split('/').some((part) => part.startsWith('.'))) return false;
  if (relative === 'readme.txt' || relative === POT) return true;
  return /\.(php|js|css)$/.test(relative);
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full).split(path.sep).join('/')];
    });
}

/** Regenerates languages/contact-bridge.pot; a template that differs only in its creation date is left as it was. */
export function regeneratePot(pluginDir: string, version: string): { changed: boolean; messages: number } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'contact-bridge-pot-'));
  try {
    const out = path.join(tmp, 'new.pot');
    const sources = listFiles(pluginDir).filter((file) => file.endsWith('.php'));
    const run = spawnSync(
      'xgettext',
      [
        '--language=PHP', '--from-code=UTF-8', '--add-comments=translators:', '-k', ...KEYWORDS.map((k) => `--keyword=${k}`),
        `--package-name=${PLUGIN_SLUG}`, `--package-version=${version}`, '--copyright-holder=contact-bridge',
        '--msgid-bugs-address=https://github.com/contact-bridge/contact-bridge/issues', '--output', out, ...sources,
      ],
      { cwd: pluginDir, encoding: 'utf8' },
    );
    if (run.error || run.status !== 0) {
      throw new Error(`xgettext failed (${run.error ? run.error.message : `exit ${run.status}`}): ${run.stderr}\nIt is in Debian's gettext package: tools/ensure-system-packages.sh --with-gettext`);
    }
    const fresh = readFileSync(out, 'utf8')
      .replace(/^# SOME DESCRIPTIVE TITLE\.$/m, '# Contact Bridge (WordPress plugin) translation template.')
      .replace(/^# Copyright \(C\) YEAR /m, `# Copyright (C) ${new Date().getUTCFullYear()} `)
      .replace(/^# This file is distributed under the same license as the .* package\.$/m, `# This file is distributed under the same license as the ${PLUGIN_SLUG} package.`);
    const target = path.join(pluginDir, POT);
    const withoutDate = (text: string): string => text.replace(/^"POT-Creation-Date: .*"$/m, '');
    const previous = existsSync(target) ? readFileSync(target, 'utf8') : '';
    const changed = withoutDate(previous) !== withoutDate(fresh);
    if (changed) writeFileSync(target, fresh);
    return { changed, messages: (fresh.match(/^msgid "/gm) ?? []).length - 1 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface PackageResult {
  zipPath: string;
  version: string;
  testedUpTo: string;
  /** Entry names, in archive order. */
  entries: string[];
  /** Whether the committed .pot was out of date (and has been rewritten). */
  potChanged: boolean;
}

export function packagePlugin(options: { repoRoot?: string; outDir?: string; wordpressDir?: string } = {}): PackageResult {
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const pluginDir = path.join(repoRoot, 'wp-plugin-shim');
  const version = packageVersion(repoRoot);
  const testedUpTo = wordpressMajorMinor(options.wordpressDir ?? '/usr/share/wordpress');
  const pot = regeneratePot(pluginDir, version);

  const stamp: Record<string, (text: string) => string> = {
    [`${PLUGIN_SLUG}.php`]: (text) => writeField('constant', writeField('header', text, version), version),
    'readme.txt': (text) => writeField('testedUpTo', writeField('stableTag', text, version), testedUpTo),
  };
  const files = listFiles(pluginDir).filter(belongsInZip);
  const entries: ZipEntry[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.split('/');
    for (let i = 0; i < parts.length; i += 1) {
      const dir = [PLUGIN_SLUG, ...parts.slice(0, i)].join('/') + '/';
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ name: dir, mtime: statSync(path.join(pluginDir, ...parts.slice(0, i))).mtime });
      }
    }
    const full = path.join(pluginDir, file);
    const raw = readFileSync(full);
    entries.push({ name: `${PLUGIN_SLUG}/${file}`, data: stamp[file] ? Buffer.from(stamp[file](raw.toString('utf8')), 'utf8') : raw, mtime: statSync(full).mtime });
  }

  const outDir = options.outDir ?? path.join(repoRoot, 'build');
  mkdirSync(outDir, { recursive: true });
  const zipPath = path.join(outDir, `${PLUGIN_SLUG}-${version}.zip`);
  writeFileSync(zipPath, writeZip(entries));
  return { zipPath, version, testedUpTo, entries: entries.map((e) => e.name), potChanged: pot.changed };
}

if (require.main === module) {
  try {
    const result = packagePlugin();
    process.stdout.write(`${path.relative(process.cwd(), result.zipPath)}: Contact Bridge ${result.version}, tested up to WordPress ${result.testedUpTo}, ${result.entries.length} entries\n`);
  } catch (error) {
    process.stderr.write(`npm run package: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
