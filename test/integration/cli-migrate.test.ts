/** `contact-bridge migrate --dry-run`: what an upgrade would run, read without changing anything. */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { loadMigrations } from '../../sidecar/src/data-access/migrations';
import { bridgeTables, cliArgs, cliEnv } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';


function cli(db: TestDatabase, args: string[]) {
  return spawnSync(process.execPath, cliArgs(args), { env: cliEnv(db), encoding: 'utf8' });
}

describe('CLI: contact-bridge migrate --dry-run (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ crm: 'civicrm-6.14', migrate: false });
  });
  after(async () => db.drop());


  it('when the bridge never ran on the database, then --dry-run lists every migration in order and creates nothing', async () => {
    const ran = cli(db, ['migrate', '--dry-run']);

    expect(ran.status, ran.stderr).to.equal(0);
    expect(ran.stdout.trim()).to.equal(`Would apply: ${loadMigrations().map((m) => m.name).join(', ')}`);
    expect(await bridgeTables(db.pool)).to.deep.equal([]);
  });

  it('when the migrations have run, then --dry-run says there is nothing to apply', async () => {
    expect(cli(db, ['migrate']).status).to.equal(0);

    const ran = cli(db, ['migrate', '--dry-run']);

    expect(ran.stdout.trim()).to.equal('Nothing to apply.');
    expect(await bridgeTables(db.pool)).to.include('contact_bridge_migrations');
  });
});
