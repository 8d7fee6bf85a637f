/** contrib/contact-bridge.service is a unit systemd accepts, and it stops the sidecar the way it is built to stop. */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { UNIT_FILE as unit, UNIT_PROGRAM, verifyUnit } from '../support/systemd-unit';

function setting(text: string, key: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
}

describe('the systemd unit (contrib/contact-bridge.service)', () => {
  it('when systemd-analyze verifies it, then it reports nothing', () => {
    const { status, out } = verifyUnit(readFileSync(unit, 'utf8'));

    expect(out.split('\n').filter((l) => l.includes('contact-bridge.service'))).to.deep.equal([]);
    expect(status, out).to.equal(0);
  });

  it('when a setting is wrong, then systemd-analyze says so (the check above can fail)', () => {
    const { out } = verifyUnit(readFileSync(unit, 'utf8').replace('Type=simple', 'Type=sometimes'));

    expect(out).to.match(/Failed to parse service type|sometimes/);
  });

  it('when it stops the service, then SIGTERM is sent and the stop timeout is above the sidecar\'s own 10 s bound; it runs as its own user, hardened', () => {
    const text = readFileSync(unit, 'utf8');

    expect(setting(text, 'KillSignal')).to.equal('SIGTERM');
    expect(Number.parseInt(setting(text, 'TimeoutStopSec') ?? '0', 10)).to.be.greaterThan(10);
    expect(setting(text, 'User')).to.equal('contact-bridge');
    expect(setting(text, 'Restart')).to.equal('on-failure');
    expect(setting(text, 'EnvironmentFile')).to.equal('/etc/contact-bridge.env');
    expect(setting(text, 'ExecStart')).to.equal(`${UNIT_PROGRAM} serve`);
    for (const hardening of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes']) expect(text).to.contain(hardening);
  });
});
