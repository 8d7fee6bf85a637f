/** `contact-bridge <command> --env-file PATH`: the settings from a file, the environment winning over it. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../tools/private-mariadb';
import { bridgeTables, cliArgs } from '../support/cli';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { TEST_SECRET } from '../support/sidecar';


/**
 * The CLI with only PATH and `env` in its environment (none of the test run's MYSQL_URL), run as
 * its bin line runs it: `node --` (else Node 20 checks the script's --env-file itself).
 */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, cliArgs(args), { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, encoding: 'utf8' });
}

describe('CLI: --env-file (real database)', () => {
  let db: TestDatabase;
  let dir: string;
  const file = (name: string, text: string): string => {
    const at = path.join(dir, name);
    writeFileSync(at, text);
    return at;
  };

  before(async () => {
    db = await createTestDatabase({ migrate: false });
    dir = mkdtempSync(path.join(os.tmpdir(), 'cb-env-file-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('when the settings are only in the file, then the command reads them there', () => {
    const settings = file('ok.env', `# contact-bridge\nMYSQL_URL=${db.url}\nBRIDGE_SECRET='${TEST_SECRET}'\nSYNC_CRON=\n`);

    const ran = cli(['migrate', '--dry-run', '--env-file', settings]);

    expect(ran.stderr).to.equal('');
    expect(ran.status).to.equal(0);
    expect(ran.stdout).to.match(/^Would apply: 001_crm_tables\.sql, /);
  });

  it('when a variable is in the environment and the file, then the environment wins', async () => {
    const elsewhere = new URL(db.url);
    elsewhere.pathname = '/cbtest_no_such_database';
    const settings = file('other-db.env', `MYSQL_URL=${elsewhere.toString()}\nBRIDGE_SECRET=${TEST_SECRET}\n`);

    const ran = cli(['migrate', `--env-file=${settings}`], { MYSQL_URL: db.url });

    expect(ran.stderr).to.equal('');
    expect(ran.stdout).to.match(/^Applied: 001_crm_tables\.sql, /);
    expect(await bridgeTables(db.pool)).to.include('contact_bridge_migrations');
    // …and the file alone would have pointed elsewhere: the same command without the environment fails.
    const alone = cli(['status', `--env-file=${settings}`]);
    expect(alone.status).to.equal(1);
    expect(alone.stderr).to.match(/cbtest_no_such_database/);
  });

  describe('when the file cannot be used, then the command exits 2 naming it and starts nothing', () => {
    let fresh: TestDatabase;
    before(async () => {
      fresh = await createTestDatabase({ migrate: false });
    });
    after(async () => fresh.drop());
    const tablesOf = async (d: TestDatabase) => rows(d.pool, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'contact\\_bridge\\_%'");

    it('when it is missing', async () => {
      const missing = path.join(dir, 'missing.env');

      const ran = cli(['migrate', '--env-file', missing], { MYSQL_URL: fresh.url, BRIDGE_SECRET: TEST_SECRET });

      expect(ran.status).to.equal(2);
      expect(ran.stderr.trim()).to.equal(`contact-bridge: ${missing}: cannot read the env file (no such file)`);
      expect(ran.stdout).to.equal('');
      expect(await tablesOf(fresh)).to.deep.equal([]);
    });

    it('when a line is bad (the value is not shown)', async () => {
      const bad = file('bad.env', `MYSQL_URL=${fresh.url}\nBRIDGE_SECRET="${TEST_SECRET}\nSYNC_CRON=\n`);

      const ran = cli(['migrate', '--env-file', bad]);

      expect(ran.status).to.equal(2);
      expect(ran.stderr.trim()).to.equal(`contact-bridge: ${bad} line 2: no closing " on the line (values span one line)`);
      expect(ran.stderr).not.to.contain(TEST_SECRET);
      expect(await tablesOf(fresh)).to.deep.equal([]);
    });

    it('when serve is given a bad file, then it does not listen', async () => {
      const port = await freePort();
      const bad = file('bad-serve.env', `MYSQL_URL=${fresh.url}\nBRIDGE_SECRET=${TEST_SECRET}\nPORT=${port}\nnot a setting\n`);
      const child = spawn(process.execPath, cliArgs(['serve', '--env-file', bad]), { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));

      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

      expect(code).to.equal(2);
      expect(stderr.trim()).to.equal(`contact-bridge: ${bad} line 4: expected NAME=value (a name of letters, digits and _, then =)`);
      expect(await fetch(`http://127.0.0.1:${port}/readyz`).then(() => 'answered', () => 'refused')).to.equal('refused');
      expect(await tablesOf(fresh)).to.deep.equal([]);
    });

    it('when --env-file has no path or is given twice, then it is a usage error', () => {
      const noPath = cli(['status', '--env-file']);
      expect(noPath.status).to.equal(2);
      expect(noPath.stderr).to.match(/^--env-file needs a path/);
      expect(cli(['status', '--env-file=a', '--env-file=b']).stderr).to.match(/^--env-file is given twice/);
    });
  });
});
