/** `contact-bridge migrate --dry-run`: what an upgrade would run, read without changing anything. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { loadMigrations } from '../../sidecar/src/data-access/migrations';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { TEST_SECRET } from '../support/sidecar';

const CLI = path.resolve(__dirname, '../../sidecar/src/entry-points/cli/main.js');

function cli(db: TestDatabase, args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, MYSQL_URL: db.url, BRIDGE_SECRET: TEST_SECRET, WP_TABLE_PREFIX: db.prefix, SYNC_CRON: '', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
}

describe('CLI: contact-bridge migrate --dry-run (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ crm: 'civicrm-6.14', migrate: false });
  });
  after(async () => db.drop());

  const bridgeTables = async () =>
    (await rows<{ t: string }>(db.pool, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'contact\\_bridge\\_%'")).map((r) => r.t);

  it('when the bridge never ran on the database, then --dry-run lists every migration in order and creates nothing', async () => {
    const ran = cli(db, ['migrate', '--dry-run']);

    expect(ran.status, ran.stderr).to.equal(0);
    expect(ran.stdout.trim()).to.equal(`Would apply: ${loadMigrations().map((m) => m.name).join(', ')}`);
    expect(await bridgeTables()).to.deep.equal([]);
  });

  it('when the migrations have run, then --dry-run says there is nothing to apply', async () => {
    expect(cli(db, ['migrate']).status).to.equal(0);

    const ran = cli(db, ['migrate', '--dry-run']);

    expect(ran.stdout.trim()).to.equal('Nothing to apply.');
    expect(await bridgeTables()).to.include('contact_bridge_migrations');
  });
});
