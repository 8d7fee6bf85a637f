/** `contact-bridge health` and `contact-bridge repair`: their output and the exit codes scripts rely on (0 clean, 1 findings, 2 error); `--domain=N` of sync, status, health and repair. */
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { cliArgs, cliEnv } from '../support/cli';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { engineDeps } from '../support/engine';
import { count, insertContact, insertLink, insertUser, joinBlog, linksOf, snapshot } from '../support/fixtures';


interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(db: TestDatabase, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(args), { env: cliEnv(db, env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('CLI: contact-bridge health and repair (real database)', () => {
  let db: TestDatabase;
  let healthy: number;
  let unlinked: number;
  let trashed: number;
  before(async () => {
    db = await createTestDatabase({ crm: 'civicrm-6.14' });
    healthy = await insertUser(db.pool, db.prefix, { email: 'fine@example.org' });
    await reconcileUser(engineDeps(db), healthy, 'user_register');
  });
  after(async () => db.drop());

  it('when every link is healthy, then health prints "nothing found", every count 0, and exits 0', async () => {
    const ran = await cli(db, ['health']);

    expect(ran.code, ran.stderr).to.equal(0);
    expect(ran.stdout).to.contain('nothing found');
    expect(ran.stdout).to.match(/user_unlinked\s+0/);
  });

  it('when a user is unlinked and a linked contact is trashed, then health lists both, JSON too, and exits 1', async () => {
    unlinked = await insertUser(db.pool, db.prefix, { email: 'alone@example.org' });
    trashed = await insertUser(db.pool, db.prefix, { email: 'binned@example.org' });
    const binned = await insertContact(db.pool, { emails: ['binned@example.org'], isDeleted: true });
    await insertLink(db.pool, trashed, binned, 'binned@example.org');

    const text = await cli(db, ['health']);
    const json = await cli(db, ['health', '--json']);
    const onlyTrashed = await cli(db, ['health', '--kind=link_contact_trashed', '--json']);

    expect(text.code, text.stderr).to.equal(1);
    expect(text.stdout).to.match(new RegExp(`user_unlinked\\s+user ${unlinked}\\b.*create a contact`));
    expect(text.stdout).to.match(new RegExp(`link_contact_trashed\\s+user ${trashed}\\b.*needs a person`));
    expect(json.code).to.equal(1);
    const report = JSON.parse(json.stdout);
    expect(report.counts).to.deep.include({ user_unlinked: 1, link_contact_trashed: 1 });
    expect(report.findings.map((f: { kind: string; user_id: number }) => [f.kind, f.user_id])).to.deep.equal([
      ['user_unlinked', unlinked],
      ['link_contact_trashed', trashed],
    ]);
    expect(JSON.parse(onlyTrashed.stdout).findings).to.have.length(1);
  });

  it('when repair --dry-run runs, then it prints what it would do, exits 1 and writes nothing', async () => {
    const before = await snapshot(db.pool);

    const ran = await cli(db, ['repair', '--dry-run']);

    expect(ran.code, ran.stderr).to.equal(1);
    expect(ran.stdout).to.match(/user_unlinked\s+1\s+1\s+0/);
    expect(ran.stdout).to.contain(`user ${unlinked}: create a contact and link it`);
    expect(await snapshot(db.pool)).to.equal(before);
  });

  it('when repair runs, then the unlinked user is linked, the trashed link is left, and it exits 1 (a finding left); a repair of the repairable kinds only then exits 0', async () => {
    const ran = await cli(db, ['repair', '--json']);

    expect(ran.code, ran.stderr).to.equal(1);
    const run = JSON.parse(ran.stdout);
    expect(run.counts.user_unlinked).to.deep.equal({ found: 1, repaired: 1, left: 0 });
    expect(run.counts.link_contact_trashed).to.deep.equal({ found: 1, repaired: 0, left: 1 });
    expect(await linksOf(db.pool, unlinked)).to.have.length(1);

    const again = await cli(db, ['repair', '--kinds=user_unlinked,link_user_gone']);
    // The trashed link is still found (and counted left); nothing of the kinds asked is left.
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/user_unlinked\s+0\s+0\s+0/);
    expect(again.stdout).to.match(/link_contact_trashed\s+1\s+0\s+1/);
  });

  it('when the JSON report is large and stdout is a pipe, then it arrives whole (every finding, the counts)', async () => {
    const values = Array.from({ length: 4000 }, (_, i) => `('bulk-unlinked-${i}', '', 'bulk-unlinked-${i}', 'bulk.unlinked.${i}@example.org', NOW(), 'x')`);
    await db.pool.query(`INSERT INTO \`${db.prefix}users\` (user_login, user_pass, user_nicename, user_email, user_registered, display_name) VALUES ${values.join(', ')}`);

    const ran = await cli(db, ['health', '--json', '--kind=user_unlinked']);

    const report = JSON.parse(ran.stdout);
    expect(report.findings.length).to.equal(report.counts.user_unlinked);
    expect(report.counts.user_unlinked).to.be.at.least(4000);
    expect(ran.code).to.equal(1);
  });

  it('when the arguments are wrong or the configuration is, then exit 2 with the reason, and nothing is recorded', async () => {
    const runs = await count(db.pool, 'contact_bridge_repair_run');
    for (const args of [['health', '--kind=nope'], ['health', '--frobnicate'], ['repair', '--kinds=user_unlinked,nope'], ['repair', '--dry-run', 'extra']]) {
      const ran = await cli(db, args);
      expect(ran.code, args.join(' ')).to.equal(2);
      expect(ran.stderr, args.join(' ')).to.match(/Unknown (kind|argument)/);
    }
    const badConfig = await cli(db, ['health'], { SYNC_CHUNK_SIZE: 'many' });
    expect(badConfig.code).to.equal(2);
    expect(badConfig.stderr).to.contain('SYNC_CHUNK_SIZE');
    expect(await count(db.pool, 'contact_bridge_repair_run')).to.equal(runs);
  });
});

describe('CLI: --domain=N acts on one of the configured CRM domains (real database)', () => {
  let db: TestDatabase;
  let member: number;
  const multisite = { CRM_DOMAIN_BY_BLOG: '3:2' };
  before(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Second site')`);
    member = await insertUser(db.pool, db.prefix, { email: 'cli.member@example.org' });
    // A network user of no site of domain 2: no user of that domain.
    await insertUser(db.pool, db.prefix, { email: 'cli.outsider@example.org' });
    await joinBlog(db.pool, db.prefix, member, 3);
  });
  after(async () => db.drop());

  const linksIn = (domainId: number) => rows(db.pool, 'SELECT uf_id FROM civicrm_uf_match WHERE domain_id = ? ORDER BY uf_id', [domainId]);

  it('when --domain names a domain the configuration does not serve, or is not a number, then exit 2 naming the served ones, and nothing is written', async () => {
    const before = await snapshot(db.pool);

    const unknown = await cli(db, ['sync', '--domain=9'], multisite);
    const word = await cli(db, ['health', '--domain=two'], multisite);
    const unmapped = await cli(db, ['sync', '--domain=2']);

    for (const ran of [unknown, word, unmapped]) expect(ran.code, ran.stderr).to.equal(2);
    expect(unknown.stderr).to.contain('--domain=9: not a CRM domain this configuration serves (1, 2)');
    expect(word.stderr).to.contain('--domain=two');
    expect(unmapped.stderr).to.contain('(1)');
    expect(await snapshot(db.pool)).to.equal(before);
  });

  it('when sync runs with --domain=2, then the members of the domain\'s sites are linked there only, status --domain=2 shows that run, and health --domain=2 is clean', async () => {
    const synced = await cli(db, ['sync', '--domain=2'], multisite);
    const status = await cli(db, ['status', '--domain=2'], multisite);
    const statusMain = await cli(db, ['status'], multisite);
    const health = await cli(db, ['health', '--domain=2', '--json'], multisite);

    expect(synced.code, synced.stderr).to.equal(0);
    expect(await linksIn(2)).to.deep.equal([{ uf_id: member }]);
    expect(await linksIn(1)).to.deep.equal([]);
    expect(status.stdout).to.match(/#\d+ completed started /);
    expect(statusMain.stdout).to.contain('No sync runs yet.');
    expect(health.code, health.stderr).to.equal(0);
    expect(JSON.parse(health.stdout).domain_id).to.equal(2);
  });
});
