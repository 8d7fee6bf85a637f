import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { migrateCrmTables } from '../../sidecar/src/data-access/crm-tables-migration';
import { migrate } from '../../sidecar/src/data-access/migrations';
import type { PoolConnection } from '../../sidecar/src/data-access/pool';
import { SchemaInspectionRepository } from '../../sidecar/src/data-access/schema-inspection';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { engineDeps } from '../support/engine';
import { createLogger, silentLogger } from '../../sidecar/src/lib/logger';
import { cliArgs, cliEnv } from '../support/cli';
import { CIVICRM_TABLES, CIVICRM_TRIGGERS, DUPLICATE_LINKED_USER, civicrmDdl } from '../support/civicrm-schema';
import { createTestDatabase, rows, type CrmFixture, type TestDatabase } from '../support/database';
import { insertUser, linksOf } from '../support/fixtures';
import { startSidecar } from '../support/sidecar';
import { definitionsAndRows, tableShape } from '../support/schema-shape';

/** The tables the bridge creates when there are none (the fixture also has civicrm_component). */
const BRIDGE_TABLES = CIVICRM_TABLES.filter((t) => t !== 'civicrm_component');
const FIRST_RELEASE = '003_sync_runs.sql';

function captureLogs(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    logger: createLogger('info', stream),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function applyCiviCrmDdl(db: TestDatabase): Promise<void> {
  const ddl = civicrmDdl();
  for (const statement of [...ddl.createTables, ...ddl.constraints, ...CIVICRM_TRIGGERS]) await db.pool.query(statement);
}

/** Every difference between the bridge's tables and CiviCRM's, apart from constraint names. */
async function expectCiviCrmDefinitions(bridge: TestDatabase, civicrm: TestDatabase): Promise<void> {
  for (const table of BRIDGE_TABLES) {
    const ours = await tableShape(bridge.pool, table);
    const theirs = await tableShape(civicrm.pool, table);
    expect(ours.options, `${table} options`).to.deep.equal(theirs.options);
    expect(ours.columns, `${table} columns`).to.deep.equal(theirs.columns);
    expect(ours.indexes, `${table} indexes`).to.deep.equal(theirs.indexes);
    // The one key the bridge leaves out points to civicrm_component, a table it does not create.
    const theirKeys = theirs.foreignKeys.filter((k) => !k.includes('civicrm_component'));
    expect(ours.foreignKeys, `${table} foreign keys`).to.deep.equal(theirKeys);
    expect(ours.constraintNames.every((n) => n.startsWith('FK_contact_bridge_')), `${table} constraint names`).to.equal(true);
  }
}

describe('CRM schema: CiviCRM databases and the tables the bridge creates (real database)', () => {
  describe('on a CiviCRM database', () => {
    const fixtures: CrmFixture[] = ['civicrm-6.14', 'civicrm-pre-5.69', 'civicrm-work-default', 'civicrm-duplicate-links'];
    for (const crm of fixtures) {
      it(`when the sidecar starts on ${crm}, then every CiviCRM table, index, trigger and row is as before`, async () => {
        const db = await createTestDatabase({ crm, migrate: false });
        try {
          const before = await definitionsAndRows(db.pool, CIVICRM_TABLES);

          const running = await startSidecar(db);
          await running.stop();

          expect(await definitionsAndRows(db.pool, CIVICRM_TABLES)).to.deep.equal(before);
          expect(running.sidecar.crmSchema).to.include({ ufIdUnique: crm === 'civicrm-pre-5.69', locationTypeTable: true, optionTables: true });
        } finally {
          await db.drop();
        }
      });
    }

    it('when (uf_id, domain_id) is not unique (CiviCRM 5.69+), then the start says so once, at info', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-6.14' });
      try {
        const logs = captureLogs();

        const running = await startSidecar(db, {}, { logger: logs.logger });
        await running.stop();

        const told = logs.lines().filter((l) => /not unique/.test(String(l.msg)));
        expect(told).to.have.length(1);
        expect(told[0].level).to.equal('info');
        expect(logs.lines().filter((l) => l.level === 'warn')).to.deep.equal([]);
      } finally {
        await db.drop();
      }
    });

    it('when (uf_id, domain_id) is unique (before 5.69), then the start says nothing about it', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-pre-5.69' });
      try {
        const logs = captureLogs();

        const running = await startSidecar(db, {}, { logger: logs.logger });
        await running.stop();

        expect(logs.lines().filter((l) => /unique|more than one link/.test(String(l.msg)))).to.deep.equal([]);
      } finally {
        await db.drop();
      }
    });

    it('when a user has two links in a domain, then the sidecar starts, logs them and /readyz lists them without SQL', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-duplicate-links' });
      try {
        const logs = captureLogs();
        const running = await startSidecar(db, {}, { logger: logs.logger });
        try {
          const reply = await fetch(`${running.sidecar.url}/readyz`);
          const text = await reply.text();

          expect(reply.status).to.equal(200);
          expect(JSON.parse(text)).to.deep.include({ status: 'ready', problem: null });
          expect(JSON.parse(text).details.crm_schema).to.deep.equal({
            uf_id_unique: false,
            duplicate_users: 1,
            duplicate_user_links: [{ domain_id: 1, user_id: DUPLICATE_LINKED_USER, links: 2 }],
            location_types: true,
            option_values: true,
          });
          const url = new URL(db.url);
          for (const secret of ['SELECT', 'civicrm_uf_match', url.hostname, url.port, url.password, db.name]) {
            expect(text, secret).not.to.include(secret);
          }
          const warned = logs.lines().filter((l) => l.level === 'warn');
          expect(warned).to.have.length(1);
          expect(warned[0].duplicateUserLinks).to.deep.equal([{ domainId: 1, ufId: DUPLICATE_LINKED_USER, links: 2 }]);
          expect(await rows(db.pool, 'SELECT COUNT(*) AS n FROM civicrm_uf_match WHERE uf_id = ?', [DUPLICATE_LINKED_USER])).to.deep.equal([{ n: 2 }]);
        } finally {
          await running.stop();
        }
      } finally {
        await db.drop();
      }
    });

    it('when a user has two links and eight events for a new user arrive at once, then one contact and one link are made', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-duplicate-links' });
      try {
        const id = await insertUser(db.pool, db.prefix, { email: '', firstName: 'Race' });
        const deps = engineDeps(db);

        // No unique (uf_id, domain_id) and no uf_name: only the per-user state row keeps these in order.
        const outcomes = await Promise.all(Array.from({ length: 8 }, () => reconcileUser(deps, id, 'user_register')));

        expect(outcomes.filter((o) => o.action === 'created')).to.have.length(1);
        expect(await linksOf(db.pool, id)).to.have.length(1);
      } finally {
        await db.drop();
      }
    });

    it('when civicrm_contact lacks a column the bridge writes, then the start fails naming table and column, and changes nothing', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-6.14', migrate: false });
      try {
        await db.pool.query('ALTER TABLE civicrm_contact DROP COLUMN email_greeting_id');
        const before = await definitionsAndRows(db.pool, CIVICRM_TABLES);

        const error = await startSidecar(db).then(
          () => null,
          (e: Error) => e,
        );

        expect(error?.message).to.match(/civicrm_contact has no column email_greeting_id/);
        expect(error?.message).not.to.match(/SELECT|127\.0\.0\.1/);
        expect(await definitionsAndRows(db.pool, CIVICRM_TABLES)).to.deep.equal(before);
      } finally {
        await db.drop();
      }
    });

    it('when `contact-bridge sync` runs on a database lacking a column the bridge writes, then it exits 1 naming it and writes nothing', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-6.14' });
      try {
        await db.pool.query('ALTER TABLE civicrm_contact DROP COLUMN postal_greeting_display');
        await insertUser(db.pool, db.prefix, { email: 'cli.user@example.org' });
        const before = await definitionsAndRows(db.pool, CIVICRM_TABLES);

        const run = spawnSync(process.execPath, cliArgs(['sync']), { env: cliEnv(db, {}, { PATH: process.env.PATH ?? '' }), encoding: 'utf8' });

        expect(run.status).to.equal(1);
        expect(run.stderr).to.match(/civicrm_contact has no column postal_greeting_display/);
        expect(await definitionsAndRows(db.pool, CIVICRM_TABLES)).to.deep.equal(before);
        expect(await rows(db.pool, 'SELECT COUNT(*) AS n FROM contact_bridge_sync_run')).to.deep.equal([{ n: 0 }]);
      } finally {
        await db.drop();
      }
    });

    it('when a table the bridge needs is gone, then the start fails naming it', async () => {
      const db = await createTestDatabase({ crm: 'bridge' });
      try {
        await db.pool.query('DROP TABLE civicrm_uf_match');

        const error = await startSidecar(db).then(
          () => null,
          (e: Error) => e,
        );

        expect(error?.message).to.match(/table civicrm_uf_match does not exist/);
      } finally {
        await db.drop();
      }
    });

    it('when civicrm_uf_match has no unique (uf_name, domain_id), then the start fails naming the index it needs', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-6.14', migrate: false });
      try {
        await db.pool.query('ALTER TABLE civicrm_uf_match DROP INDEX UI_uf_name_domain_id, ADD INDEX some_other_name (uf_name, domain_id)');

        const error = await startSidecar(db).then(
          () => null,
          (e: Error) => e,
        );

        expect(error?.message).to.match(/civicrm_uf_match has no unique index on \(uf_name, domain_id\)/);
      } finally {
        await db.drop();
      }
    });

    it('when the unique (uf_id, domain_id) index has another name, then it is still found by its columns', async () => {
      const db = await createTestDatabase({ crm: 'civicrm-6.14', migrate: false });
      try {
        await db.pool.query('ALTER TABLE civicrm_uf_match DROP INDEX UI_uf_match_uf_id_domain_id, ADD UNIQUE INDEX site_specific (domain_id, uf_id)');

        const report = await new SchemaInspectionRepository().inspect(db.pool);

        expect(report).to.include({ ufIdUnique: true, duplicateUsers: 0 });
        expect(report.missing).to.deep.equal([]);
      } finally {
        await db.drop();
      }
    });
  });

  describe('on a database without CiviCRM', () => {
    let bridge: TestDatabase;
    let civicrm: TestDatabase;
    before(async () => {
      [bridge, civicrm] = await Promise.all([createTestDatabase({ crm: 'bridge' }), createTestDatabase({ crm: 'civicrm-6.14', migrate: false })]);
    });
    after(async () => Promise.all([bridge?.drop(), civicrm?.drop()]));

    it('when the bridge has created the CRM tables, then they are CiviCRM 6.14\'s: same columns, types, defaults, comments, indexes and keys', async () => {
      await expectCiviCrmDefinitions(bridge, civicrm);
    });

    it('when the bridge has created the CRM tables, then they hold the base rows a fresh CiviCRM install has', async () => {
      const same = async (sql: string) => expect(await rows(bridge.pool, sql), sql).to.deep.equal(await rows(civicrm.pool, sql));

      await same('SELECT id, name, display_name, vcard_name, description, is_reserved, is_active, is_default FROM civicrm_location_type ORDER BY id');
      await same('SELECT id, name, label, description, image_URL, icon, parent_id, is_active, is_reserved FROM civicrm_contact_type ORDER BY id');
      await same('SELECT name, title, description, data_type, is_reserved, is_active, is_locked, option_value_fields FROM civicrm_option_group ORDER BY name');
      await same(`SELECT g.name AS group_name, v.label, v.value, v.name, v.grouping, v.filter, v.is_default, v.weight, v.description,
                         v.is_optgroup, v.is_reserved, v.is_active, v.component_id, v.domain_id, v.visibility_id, v.icon, v.color
                    FROM civicrm_option_value v JOIN civicrm_option_group g ON g.id = v.option_group_id ORDER BY g.name, v.weight`);
      expect(await rows(bridge.pool, 'SELECT id, name FROM civicrm_domain')).to.deep.equal([{ id: 1, name: 'Default Domain Name' }]);
    });

    it('when CiviCRM\'s DDL (CREATE TABLE IF NOT EXISTS, ADD CONSTRAINT under its names) and triggers are applied afterwards, then they succeed and the sidecar still starts', async () => {
      const db = await createTestDatabase({ crm: 'bridge' });
      try {
        await applyCiviCrmDdl(db);

        const shape = await tableShape(db.pool, 'civicrm_email');
        expect(shape.constraintNames).to.deep.equal(['FK_civicrm_email_contact_id', 'FK_contact_bridge_email_contact_id']);
        const running = await startSidecar(db);
        await running.stop();
      } finally {
        await db.drop();
      }
    });

    it('when the migrations run again, then nothing changes', async () => {
      const before = await definitionsAndRows(bridge.pool, CIVICRM_TABLES);

      expect(await migrate(bridge.pool, silentLogger)).to.deep.equal([]);
      // The step itself, run again, finds nothing to do either.
      const conn = await bridge.pool.getConnection();
      try {
        await migrateCrmTables(conn, silentLogger);
      } finally {
        conn.release();
      }

      expect(await definitionsAndRows(bridge.pool, CIVICRM_TABLES)).to.deep.equal(before);
    });
  });

  describe('on a database migrated by the first release (partial CRM tables of sql/001)', () => {
    let civicrm: TestDatabase;
    before(async () => {
      civicrm = await createTestDatabase({ crm: 'civicrm-6.14', migrate: false, withoutWordPress: true });
    });
    after(async () => civicrm?.drop());

    async function firstReleaseDatabase(): Promise<TestDatabase> {
      const db = await createTestDatabase({ crm: 'bridge', migrate: false });
      await migrate(db.pool, silentLogger, { through: FIRST_RELEASE });
      // What the first release left: partial tables, keys under CiviCRM's names.
      expect((await tableShape(db.pool, 'civicrm_contact')).columns.map((c) => c.name)).not.to.include('legal_name');
      expect((await tableShape(db.pool, 'civicrm_email')).constraintNames).to.deep.equal(['FK_civicrm_email_contact_id']);
      return db;
    }

    it('when it is migrated, then its CRM tables become CiviCRM\'s, its rows stay, and CiviCRM\'s DDL then applies', async () => {
      const db = await firstReleaseDatabase();
      try {
        // The rows the first release wrote for a registration (its columns only).
        const id = await insertUser(db.pool, db.prefix, { email: 'first.release@example.org', firstName: 'First', lastName: 'Release' });
        const [contactRow] = await db.pool.query<any>(
          `INSERT INTO civicrm_contact (contact_type, first_name, last_name, display_name, sort_name, hash, source, created_date)
           VALUES ('Individual', 'First', 'Release', 'First Release', 'Release, First', MD5('first'), 'WordPress user', NOW())`,
        );
        await db.pool.query(`INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (?, 1, 'first.release@example.org', 1)`, [contactRow.insertId]);
        await db.pool.query(`INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (1, ?, 'first.release@example.org', ?)`, [id, contactRow.insertId]);
        const created = { contactId: contactRow.insertId as number };
        const read = (pool: TestDatabase['pool']) =>
          rows(
            pool,
            `SELECT c.id, c.first_name, c.last_name, c.display_name, c.hash, e.email, e.is_primary, m.uf_id, m.uf_name
               FROM civicrm_contact c JOIN civicrm_email e ON e.contact_id = c.id JOIN civicrm_uf_match m ON m.contact_id = c.id`,
          );
        const kept = await read(db.pool);

        expect(await migrate(db.pool, silentLogger)).to.deep.equal(['004_crm_tables_as_civicrm', '005_user_state_applied.sql', '006_repair_runs.sql']);

        await expectCiviCrmDefinitions(db, civicrm);
        expect(await read(db.pool)).to.deep.equal(kept);
        expect(kept).to.have.length(1);
        // The upgraded database is served: the first release's link is the user's, as it was.
        expect(await reconcileUser(engineDeps(db), id, 'wp_login')).to.include({ action: 'unchanged', contactId: created.contactId });
        await applyCiviCrmDdl(db);
        const running = await startSidecar(db);
        await running.stop();
      } finally {
        await db.drop();
      }
    });

    it('when the migration stops at any statement, then the next run finishes it as if it had not stopped', async function () {
      this.timeout(300_000);
      // Every schema change, and a few of the seed rows, is a place to stop.
      for (let stopAt = 1; ; stopAt += 1) {
        const db = await firstReleaseDatabase();
        try {
          const conn = await db.pool.getConnection();
          let sent = 0;
          const failing = new Proxy(conn, {
            get(target, prop, receiver) {
              if (prop !== 'query') return Reflect.get(target, prop, receiver);
              return (...args: Parameters<PoolConnection['query']>) => {
                sent += 1;
                if (sent === stopAt) return Promise.reject(new Error(`stopped at statement ${stopAt}`));
                return target.query(...args);
              };
            },
          });
          const outcome = await migrateCrmTables(failing, silentLogger).then(
            () => 'finished',
            () => 'stopped',
          );
          conn.release();

          expect(await migrate(db.pool, silentLogger)).to.deep.equal(['004_crm_tables_as_civicrm', '005_user_state_applied.sql', '006_repair_runs.sql']);

          await expectCiviCrmDefinitions(db, civicrm);
          expect(await rows(db.pool, 'SELECT COUNT(*) AS n FROM civicrm_option_value')).to.deep.equal([{ n: 26 }]);
          expect(await rows(db.pool, 'SELECT COUNT(*) AS n FROM civicrm_location_type')).to.deep.equal([{ n: 5 }]);
          expect(await rows(db.pool, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'contact\\_bridge\\_draft%'")).to.deep.equal([{ n: 0 }]);
          if (outcome === 'finished') break;
        } finally {
          await db.drop();
        }
        // Past the schema changes the statements are seed rows, one like the next: sample them.
        if (stopAt > 30) stopAt += 9;
      }
    });
  });
});
