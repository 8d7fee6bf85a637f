/**
 * The sidecar as a site owner installs it: `npm pack` of this checkout, `npm install <tarball>
 * --omit=dev` into an empty folder, `npx contact-bridge …` from there.
 *
 * The tarball is packed from a copy of the checkout (its files, node_modules linked), so that
 * `prepack` builds for real, in the copy: packing here would rebuild the dist/ that this test
 * run and others are executing from.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadMigrations } from '../../sidecar/src/data-access/migrations';
import { freePort } from '../../tools/private-mariadb';
import { SignedClient } from '../../tools/signed-client';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { insertUser } from '../support/fixtures';
import { TEST_SECRET } from '../support/sidecar';
import { spawnCollecting, untilReady } from '../support/sidecar-process';
import { UNIT_FILE, UNIT_PROGRAM, verifyUnit } from '../support/systemd-unit';

const ROOT = path.resolve(__dirname, '../../..');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** npm's environment: none of this run's npm_* settings (an `npm test` parent) nor MYSQL_URL. */
function npmEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return env;
}

/** The processes started by `pid`, their children, and so on. */
function descendants(pid: number): number[] {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full, base) : [path.relative(base, full)];
  });
}

describe('the sidecar package (npm pack, npm install --omit=dev, npx contact-bridge)', function () {
  this.timeout(300_000);
  let work: string;
  let site: string;
  let tarball: string;
  let db: TestDatabase;
  let envFile: string;
  let port: number;
  const npx = (args: string[]) => spawnSync('npx', ['--no-install', 'contact-bridge', ...args], { cwd: site, env: npmEnv(), encoding: 'utf8' });

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'cb-package-'));
    // The checkout's files (tracked, and new ones not ignored: no dist/, no node_modules/).
    const copy = path.join(work, 'checkout');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '' && f !== 'node_modules');
    for (const file of files) {
      try {
        cpSync(path.join(ROOT, file), path.join(copy, file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // deleted, not yet committed
      }
    }
    symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(copy, 'node_modules'));
    const out = path.join(work, 'out');
    mkdirSync(out);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: copy, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ filename: string }>;
    tarball = path.join(out, packed[0].filename);

    site = path.join(work, 'site');
    mkdirSync(site);
    execFileSync('npm', ['install', '--omit=dev', '--prefer-offline', tarball], { cwd: site, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    db = await createTestDatabase({ migrate: false });
    port = await freePort();
    envFile = path.join(work, 'contact-bridge.env');
    writeFileSync(envFile, `# as in /etc/contact-bridge.env\nMYSQL_URL=${db.url}\nBRIDGE_SECRET='${TEST_SECRET}'\nWP_TABLE_PREFIX=${db.prefix}\nPORT=${port}\nSYNC_CRON=\n`);
  });
  after(async () => {
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('when packed, then the tarball is named after the package\'s version', () => {
    expect(path.basename(tarball)).to.equal(`${PACKAGE.name}-${PACKAGE.version}.tgz`);
  });

  it('when installed, then the package holds what runs (the built sidecar, sql/, the unit, README, LICENSE) and no test, bench, tool, source or map', () => {
    const installed = filesUnder(path.join(site, 'node_modules', PACKAGE.name));

    const strays = installed.filter(
      (f) => !(/^dist\/sidecar\/src\/.+\.js$/.test(f) || /^sql\/\d{3}_[a-z0-9_]+\.sql$/.test(f) || ['package.json', 'README.md', 'LICENSE', 'contrib/contact-bridge.service'].includes(f)),
    );
    expect(strays).to.deep.equal([]);
    expect(installed).to.include.members(['dist/sidecar/src/main.js', 'dist/sidecar/src/entry-points/cli/main.js', 'LICENSE', 'README.md']);
    expect(installed.filter((f) => f.startsWith('sql/')).length).to.equal(readdirSync(path.join(ROOT, 'sql')).length);
  });

  it('when installed with --omit=dev, then every dependency is there and nothing only development needs (mocha, typescript, …) is', () => {
    const modules = readdirSync(path.join(site, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(path.join(site, 'node_modules', name)).map((n) => `${name}/${n}`) : [name],
    );
    // The lock file marks "dev" what only the development dependencies pull in.
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = new Set(Object.entries(lock.packages).filter(([, p]) => p.dev === true).map(([at]) => at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length)));

    expect(modules).to.include.members([PACKAGE.name, ...Object.keys(PACKAGE.dependencies)]);
    expect(Object.keys(PACKAGE.devDependencies).filter((d) => !devOnly.has(d))).to.deep.equal(['@types/node']); // mysql2 depends on it
    expect(modules.filter((m) => devOnly.has(m))).to.deep.equal([]);
    expect(readdirSync(path.join(site, 'node_modules', '.bin'))).to.include('contact-bridge');
  });

  it('when the installed migrate --dry-run runs, then it lists every migration of sql/ and the code steps, and creates nothing', async () => {
    const ran = npx(['migrate', '--dry-run', '--env-file', envFile]);

    expect(ran.stderr).to.equal('');
    expect(ran.status).to.equal(0);
    expect(ran.stdout.trim()).to.equal(`Would apply: ${loadMigrations().map((m) => m.name).join(', ')}`);
    expect(await rows(db.pool, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'contact\\_bridge\\_%'")).to.deep.equal([]);
  });

  it('when npx contact-bridge serve --env-file runs, then it migrates, a signed event links the user in the database, /v1/ping tells the package\'s version, and SIGTERM ends it with 0', async () => {
    const serving = spawnCollecting('npx', ['--no-install', 'contact-bridge', 'serve', '--env-file', envFile], npmEnv(), site);
    const url = `http://127.0.0.1:${port}`;
    // npx passes no signal on (it runs `sh -c contact-bridge …`): SIGTERM goes to the sidecar's own process, as a service manager sends it.
    let sidecarPid: number | undefined;
    try {
      await untilReady(serving, url);
      sidecarPid = descendants(serving.child.pid!).find((pid) => {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.includes(path.join(site, 'node_modules/.bin/contact-bridge')) && argv.includes('serve');
      });
      expect(sidecarPid, 'the process npx started for contact-bridge serve').to.be.a('number');
      const client = new SignedClient({ baseUrl: url, secret: TEST_SECRET });
      const id = await insertUser(db.pool, db.prefix, { email: 'installed.package@example.org', firstName: 'Installed' });

      const ping = await client.get('/v1/ping');
      const reply = await client.post('/v1/events', { event: 'user_register', user_id: id });

      expect(ping.body).to.deep.include({ version: PACKAGE.version, signature: 'v2' });
      expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
      expect(reply.body).to.include({ action: 'created' });
      expect(await rows(db.pool, 'SELECT uf_id, contact_id, uf_name FROM civicrm_uf_match')).to.deep.equal([{ uf_id: id, contact_id: reply.body.contact_id, uf_name: 'installed.package@example.org' }]);
      expect(await rows(db.pool, 'SELECT c.first_name, e.email FROM civicrm_contact c JOIN civicrm_email e ON e.contact_id = c.id WHERE c.id = ?', [reply.body.contact_id])).to.deep.equal([
        { first_name: 'Installed', email: 'installed.package@example.org' },
      ]);
      expect((await client.post('/v1/events', '{"event":"user_register","user_id":1', {})).status).to.equal(400);
    } finally {
      if (sidecarPid) process.kill(sidecarPid, 'SIGTERM');
      else for (const pid of [...descendants(serving.child.pid!), serving.child.pid!]) process.kill(pid, 'SIGKILL');
    }

    expect(await serving.exited, serving.output()).to.deep.equal({ code: 0, signal: null });
    const logs = serving.output().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
    expect(logs.map((l) => l.msg)).to.include.members(['contact-bridge sidecar listening', 'stopped']);
    // Every migration was applied by that start: a second migrate finds nothing to do.
    expect(npx(['migrate', '--env-file', envFile]).stdout.trim()).to.equal('Nothing to apply.');
  });

  it('when the installed sync, status, health and repair run with --env-file, then each does its work on the database', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'installed.sync@example.org' });

    const sync = npx(['sync', '--env-file', envFile]);
    const status = npx(['status', '--env-file', envFile]);
    const health = npx(['health', '--json', '--env-file', envFile]);
    const repair = npx(['repair', '--dry-run', '--env-file', envFile]);

    expect(sync.status, sync.stderr).to.equal(0);
    expect(await rows(db.pool, 'SELECT uf_name FROM civicrm_uf_match WHERE uf_id = ?', [id])).to.deep.equal([{ uf_name: 'installed.sync@example.org' }]);
    expect(status.status, status.stderr).to.equal(0);
    expect(status.stdout).to.match(/^#\d+ completed started .*: 2\/2 users/);
    expect(health.status, health.stdout + health.stderr).to.equal(0);
    expect(JSON.parse(health.stdout)).to.deep.include({ findings: [] });
    expect(repair.status, repair.stdout + repair.stderr).to.equal(0);
    expect(repair.stdout).to.match(/^Repair run \d+ \(dry run\) started\./);
  });

  it('when systemd-analyze verifies the unit against the installed package, then the bin is where the unit starts it', () => {
    const installedBin = path.join(site, path.relative('/opt/contact-bridge', UNIT_PROGRAM));

    const { status, out } = verifyUnit(readFileSync(UNIT_FILE, 'utf8'), installedBin);

    expect(out.split('\n').filter((l) => l.includes('contact-bridge.service'))).to.deep.equal([]);
    expect(status, out).to.equal(0);
  });
});
