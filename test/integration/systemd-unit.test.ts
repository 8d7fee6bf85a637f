/** contrib/contact-bridge.service is a unit systemd accepts, and it stops the sidecar the way it is built to stop. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const unit = path.resolve(__dirname, '../../../contrib/contact-bridge.service');

/**
 * systemd-analyze verify also checks that ExecStart's program exists: the unit names Debian's
 * /usr/bin/node; where Node is elsewhere, the copy verified names the node running the tests.
 */
function verify(text: string): { status: number | null; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-unit-'));
  const file = path.join(dir, 'contact-bridge.service');
  writeFileSync(file, text.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
  const run = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

function setting(text: string, key: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
}

describe('the systemd unit (contrib/contact-bridge.service)', () => {
  it('when systemd-analyze verifies it, then it reports nothing', () => {
    const { status, out } = verify(readFileSync(unit, 'utf8'));

    expect(out.split('\n').filter((l) => l.includes('contact-bridge.service'))).to.deep.equal([]);
    expect(status, out).to.equal(0);
  });

  it('when a setting is wrong, then systemd-analyze says so (the check above can fail)', () => {
    const { out } = verify(readFileSync(unit, 'utf8').replace('Type=simple', 'Type=sometimes'));

    expect(out).to.match(/Failed to parse service type|sometimes/);
  });

  it('when it stops the service, then SIGTERM is sent and the stop timeout is above the sidecar\'s own 10 s bound; it runs as its own user, hardened', () => {
    const text = readFileSync(unit, 'utf8');

    expect(setting(text, 'KillSignal')).to.equal('SIGTERM');
    expect(Number.parseInt(setting(text, 'TimeoutStopSec') ?? '0', 10)).to.be.greaterThan(10);
    expect(setting(text, 'User')).to.equal('contact-bridge');
    expect(setting(text, 'Restart')).to.equal('on-failure');
    expect(setting(text, 'EnvironmentFile')).to.equal('/etc/contact-bridge.env');
    for (const hardening of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes']) expect(text).to.contain(hardening);
  });
});
