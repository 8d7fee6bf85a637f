/**
 * The plugin says "Requires PHP: 7.4" and only a newer PHP is installed here: every plugin file
 * is parsed by PHP 7.4.33 built for Node (@php-wasm/node-7-4, a dev dependency; no download at
 * test time). The plugin's PHPUnit suite runs under it too (e2e/plugin-phpunit).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const root = path.resolve(__dirname, '../../..');
const plugin = path.join(root, 'wp-plugin-shim');
const lint = path.join(root, 'test/php74/lint.php');
const cli = path.join(root, 'node_modules/.bin/php-wasm-cli');

function phpFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? phpFiles(full) : name.endsWith('.php') ? [full] : [];
  });
}

/** The checker's report (php-wasm-cli does not pass PHP's exit status on: the last line says it). */
function parseUnder74(files: string[]): string {
  const run = spawnSync(cli, [lint, ...files], { cwd: root, env: { ...process.env, PHP: '7.4' }, encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`;
}

describe('the plugin under PHP 7.4 (the oldest it claims)', () => {
  it('when every plugin file is parsed by PHP 7.4, then none has a syntax error', () => {
    const files = phpFiles(plugin);

    const out = parseUnder74(files);

    expect(out.trim()).to.match(new RegExp(`^checked ${files.length} files, 0 with errors, PHP 7\\.4\\.\\d+$`));
  });

  it('when a file uses syntax PHP 7.4 lacks (a union type, the nullsafe operator), then the check names it', () => {
    // Under the project: PHP built for Node sees the working directory's tree, not all of /tmp.
    mkdirSync(path.join(root, 'test-output'), { recursive: true });
    const dir = mkdtempSync(path.join(root, 'test-output', 'php74-'));
    const file = path.join(dir, 'php8-only.php');
    writeFileSync(file, '<?php\nfunction f( int|string $a ) { return $a?->b; }\n');

    const out = parseUnder74([file, path.join(plugin, 'uninstall.php')]);
    rmSync(dir, { recursive: true, force: true });

    expect(out).to.contain(`${file}:2: syntax error`);
    expect(out).to.contain('checked 2 files, 1 with errors, PHP 7.4.');
  });
});
