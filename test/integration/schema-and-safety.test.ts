import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { migrate } from '../../sidecar/src/data-access/migrations';
import { createRepositories } from '../../sidecar/src/data-access/repositories';
import { reconcileUser, type EngineDeps } from '../../sidecar/src/domain/reconcile-users';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { createTestDatabase, forEachCrmFixture, rows, type TestDatabase } from '../support/database';
import { contact, count, emailsOf, insertContact, insertUser, linksOf } from '../support/fixtures';
import { engineDeps } from '../support/engine';
import { definitionsAndRows } from '../support/schema-shape';
import { startSidecar } from '../support/sidecar';

function depsFor(db: TestDatabase, prefix = 'wp_'): EngineDeps {
  return engineDeps({ ...db, prefix });
}

describe('schema and safety (real database)', () => {
  forEachCrmFixture((crm) => {
    describe('SQL injection', () => {
      let db: TestDatabase;
      before(async () => {
        db = await createTestDatabase({ crm });
      });
      after(async () => db.drop());

      it('when a WordPress email and names are SQL- and HTML-shaped, then they are stored verbatim and every table survives', async () => {
        const email = "x'); DROP TABLE civicrm_contact; --@example.org";
        const first = '<script>alert("x")</script>';
        const last = "O'Brien\\'; DELETE FROM civicrm_email; --";
        const id = await insertUser(db.pool, db.prefix, { email, firstName: first, lastName: last });

        const outcome = await reconcileUser(depsFor(db), id, 'user_register');

        expect(outcome.action).to.equal('created');
        expect(await contact(db.pool, outcome.contactId!)).to.include({ first_name: first, last_name: last });
        expect(await emailsOf(db.pool, outcome.contactId!)).to.deep.equal([{ email: email.toLowerCase(), is_primary: 1, location_type_id: 1 }]);
        expect(await count(db.pool, 'civicrm_contact')).to.be.greaterThan(0);
      });

      it('when names are emoji, IDN or only spaces, then they are stored safely or left empty', async () => {
        const id = await insertUser(db.pool, db.prefix, { email: 'пример@почта.рф', firstName: '😀 Smile', lastName: '   ' });

        const outcome = await reconcileUser(depsFor(db), id, 'user_register');

        expect(await contact(db.pool, outcome.contactId!)).to.include({ first_name: '😀 Smile', last_name: null, display_name: '😀 Smile' });
        expect((await linksOf(db.pool, id))[0].uf_name).to.equal('пример@почта.рф');
      });

      it('when a table prefix or table name is hostile, then no repository is built', () => {
        for (const name of ['wp_users; DROP TABLE x', 'wp`users', 'wp users', "wp_users'"]) {
          expect(() => createRepositories({ wpUsersTable: name, wpUsermetaTable: 'wp_usermeta' }), name).to.throw(/Unsafe table name/);
        }
      });
    });

    describe('WordPress tables in other collations', () => {
      for (const collation of ['utf8mb4_general_ci', 'utf8_general_ci', 'utf8mb4_unicode_520_ci']) {
        it(`when the WordPress tables are ${collation}, then users are read and matched`, async () => {
          const db = await createTestDatabase({ prefix: 'site_', wpCollation: collation, crm });
          try {
            const contactId = await insertContact(db.pool, { emails: ['Renée@Example.org'] });
            const id = await insertUser(db.pool, 'site_', { email: 'renée@example.org', firstName: 'Renée' });

            const outcome = await reconcileUser(depsFor(db, 'site_'), id, 'user_register');

            expect(outcome).to.include({ action: 'matched', contactId });
            expect(await contact(db.pool, contactId)).to.include({ first_name: 'Renée' });
          } finally {
            await db.drop();
          }
        });
      }
    });
  });

  describe('a database that holds an older, partial set of CiviCRM-like tables', () => {
    // Not the bridge's (these columns are not the first release's) and not all CiviCRM's.
    async function legacyDatabase(): Promise<TestDatabase> {
      const db = await createTestDatabase({ migrate: false, crm: 'bridge' });
      await db.pool.query(`CREATE TABLE civicrm_domain (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(64), description VARCHAR(255), version VARCHAR(32), contact_id INT UNSIGNED,
        locales TEXT, locale_custom_strings TEXT, config_backend TEXT, UNIQUE KEY UI_name (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
      await db.pool.query(`INSERT INTO civicrm_domain (id, name, version) VALUES (1, 'Our CRM', '5.69.0')`);
      await db.pool.query(`CREATE TABLE civicrm_contact (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        contact_type VARCHAR(64), contact_sub_type VARCHAR(255), nick_name VARCHAR(128), legal_identifier VARCHAR(32),
        first_name VARCHAR(64), middle_name VARCHAR(64), last_name VARCHAR(64), display_name VARCHAR(128), sort_name VARCHAR(128),
        organization_name VARCHAR(128), household_name VARCHAR(128), hash VARCHAR(32), source VARCHAR(255),
        is_deleted TINYINT(1) NOT NULL DEFAULT 0, created_date TIMESTAMP NULL DEFAULT NULL,
        modified_date TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        preferred_language VARCHAR(5)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
      await db.pool.query(`CREATE TABLE civicrm_email (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        contact_id INT UNSIGNED, location_type_id INT UNSIGNED, email VARCHAR(254), is_primary TINYINT(1) NOT NULL DEFAULT 0,
        is_billing TINYINT(1) NOT NULL DEFAULT 0, on_hold INT UNSIGNED NOT NULL DEFAULT 0, is_bulkmail TINYINT(1) NOT NULL DEFAULT 0,
        hold_date DATETIME, reset_date DATETIME, signature_text TEXT, INDEX UI_email (email),
        FOREIGN KEY (contact_id) REFERENCES civicrm_contact (id) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
      await db.pool.query(`CREATE TABLE civicrm_uf_match (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        domain_id INT UNSIGNED NOT NULL, uf_id INT UNSIGNED NOT NULL, uf_name VARCHAR(128), contact_id INT UNSIGNED, language VARCHAR(5),
        UNIQUE KEY UI_uf_name_domain_id (uf_name, domain_id), UNIQUE KEY UI_contact_domain_id (contact_id, domain_id),
        INDEX I_civicrm_uf_match_uf_id (uf_id),
        FOREIGN KEY (domain_id) REFERENCES civicrm_domain (id),
        FOREIGN KEY (contact_id) REFERENCES civicrm_contact (id) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
      return db;
    }
    const legacyTables = ['civicrm_domain', 'civicrm_contact', 'civicrm_email', 'civicrm_uf_match'];

    it('when migrating, then its tables, indexes and the existing domain are left exactly as they were', async () => {
      const db = await legacyDatabase();
      try {
        const before = await definitionsAndRows(db.pool, legacyTables);

        await migrate(db.pool, silentLogger);

        expect(await definitionsAndRows(db.pool, legacyTables)).to.deep.equal(before);
        expect(await rows(db.pool, 'SELECT id, name FROM civicrm_domain')).to.deep.equal([{ id: 1, name: 'Our CRM' }]);
      } finally {
        await db.drop();
      }
    });

    it('when the sidecar starts on it, then it fails naming every column the bridge needs and does not find', async () => {
      const db = await legacyDatabase();
      try {
        const error = await startSidecar(db).then(
          () => null,
          (e: Error) => e,
        );

        expect(error?.message).to.match(/civicrm_contact has no column prefix_id; civicrm_contact has no column suffix_id; civicrm_contact has no column email_greeting_id/);
        expect(error?.message).to.match(/civicrm_contact has no column addressee_display\b/);
        expect(error?.message).not.to.match(/civicrm_email|civicrm_uf_match|civicrm_domain/);
      } finally {
        await db.drop();
      }
    });
  });

  forEachCrmFixture((crm) => {
    describe('migrations', () => {
      it('when three processes migrate the same database at once, then each migration is applied once and all succeed', async () => {
        const db = await createTestDatabase({ migrate: false, crm });
        try {
          const pools = [0, 1, 2].map(() => mysql.createPool({ uri: db.url, connectionLimit: 2 }));
          const results = await Promise.all(pools.map((p) => migrate(p, silentLogger)));
          await Promise.all(pools.map((p) => p.end()));

          const applied = results.flat();
          expect(applied.length).to.equal(new Set(applied).size);
          const recorded = await rows<{ name: string }>(db.pool, 'SELECT name FROM contact_bridge_migrations ORDER BY name');
          expect(recorded.map((r) => r.name)).to.deep.equal([...new Set(applied)].sort());
          expect(await count(db.pool, 'civicrm_domain')).to.equal(1);
        } finally {
          await db.drop();
        }
      });
    });
  });
});

describe('connection sessions', () => {
  it('when the pool hands out a connection, then it runs in UTC at READ COMMITTED', async () => {
    const db = await createTestDatabase({ migrate: false, withoutWordPress: true });
    try {
      // MySQL 8.0 names the variable transaction_isolation; MariaDB 10.11 tx_isolation.
      const [session] = await rows(db.pool, 'SELECT @@session.time_zone AS tz').then(async ([tz]) => {
        const iso = await rows(db.pool, 'SELECT @@session.transaction_isolation AS iso').catch(() =>
          rows(db.pool, 'SELECT @@session.tx_isolation AS iso'),
        );
        return [{ ...tz, ...iso[0] }];
      });
      expect(session).to.deep.equal({ tz: '+00:00', iso: 'READ-COMMITTED' });
    } finally {
      await db.drop();
    }
  });
});
