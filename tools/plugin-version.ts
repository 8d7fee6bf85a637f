/**
 * The plugin's version fields, in one list: package.json's "version" is the one source, and
 * `npm run package` writes it into each of them; test/unit/plugin-version.test.ts checks that
 * the files in the repository already say the same.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type PluginField = 'header' | 'constant' | 'stableTag' | 'testedUpTo';

interface FieldRule {
  /** File inside the plugin folder. */
  file: string;
  /** The line with the value in group 2, between the text kept (groups 1 and 3). */
  pattern: RegExp;
}

export const PLUGIN_FIELDS: Record<PluginField, FieldRule> = {
  header: { file: 'contact-bridge.php', pattern: /^( \* Version:[ \t]+)(\S+)()$/m },
  constant: { file: 'contact-bridge.php', pattern: /^(define\( 'CONTACT_BRIDGE_VERSION', ')([^']+)(' \);)$/m },
  stableTag: { file: 'readme.txt', pattern: /^(Stable tag:[ \t]*)(\S+)()$/m },
  testedUpTo: { file: 'readme.txt', pattern: /^(Tested up to:[ \t]*)(\S+)()$/m },
};

/** The value of one field in a file's text. */
export function readField(field: PluginField, text: string): string {
  const match = PLUGIN_FIELDS[field].pattern.exec(text);
  if (!match) throw new Error(`plugin-version: no ${field} line in ${PLUGIN_FIELDS[field].file}`);
  return match[2];
}

/** The text with the field set to value. */
export function writeField(field: PluginField, text: string, value: string): string {
  readField(field, text); // fails when the line is missing
  return text.replace(PLUGIN_FIELDS[field].pattern, (_all, before: string, _old: string, after: string) => `${before}${value}${after}`);
}

/** Every field as the plugin folder's files say it. */
export function readPluginFields(pluginDir: string): Record<PluginField, string> {
  const read = (field: PluginField): string => readField(field, readFileSync(path.join(pluginDir, PLUGIN_FIELDS[field].file), 'utf8'));
  return { header: read('header'), constant: read('constant'), stableTag: read('stableTag'), testedUpTo: read('testedUpTo') };
}

/** package.json's "version" (a plain x.y.z, as WordPress compares versions). */
export function packageVersion(repoRoot: string): string {
  const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version?: unknown }).version;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`plugin-version: package.json's version must be x.y.z, not ${String(version)}`);
  return version;
}

/** "Tested up to": major.minor of the WordPress the tests run ($wp_version of Debian's package). */
export function wordpressMajorMinor(wordpressDir: string): string {
  const file = path.join(wordpressDir, 'wp-includes', 'version.php');
  const match = /^\$wp_version\s*=\s*'(\d+)\.(\d+)[^']*';/m.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`plugin-version: no $wp_version in ${file}`);
  return `${match[1]}.${match[2]}`;
}
