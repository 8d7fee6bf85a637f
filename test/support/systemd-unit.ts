/** contrib/contact-bridge.service and its check by systemd-analyze verify (Debian's systemd package). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const UNIT_FILE = path.resolve(__dirname, '../../../contrib/contact-bridge.service');

/** The program the unit starts: npm's link to the bin of the package installed in /opt/contact-bridge. */
export const UNIT_PROGRAM = '/opt/contact-bridge/node_modules/.bin/contact-bridge';

/**
 * systemd-analyze verify also checks that ExecStart's program is an executable file: `program`
 * stands in for the installed package's bin here (package-install.test.ts verifies the unit
 * against a real install).
 */
export function verifyUnit(text: string, program: string = process.execPath): { status: number | null; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-unit-'));
  const file = path.join(dir, 'contact-bridge.service');
  writeFileSync(file, text.replace(`ExecStart=${UNIT_PROGRAM} `, `ExecStart=${program} `));
  const run = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}
