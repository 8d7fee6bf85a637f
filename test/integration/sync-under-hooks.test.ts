/**
 * From outside, through the public API only: a bulk sync of a 100k-user site while WordPress
 * edits users just ahead of the sync's progress and reports each edit with its hook.
 */
import { expect } from 'chai';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { startSidecar, type RunningSidecar } from '../support/sidecar';
import { rng } from '../support/sync-scenarios';

const USERS = 100_000;

/** USERS users (user{n}@example.org, First{n} Last{n}); every fifth has a contact with its address already. */
async function generateSite(db: TestDatabase): Promise<void> {
  const p = db.pool;
  await p.query(`CREATE TABLE seq (n INT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB`);
  await p.query(`INSERT INTO seq VALUES (1)`);
  for (let have = 1; have < USERS; have *= 2) await p.query(`INSERT INTO seq SELECT n + ? FROM seq WHERE n + ? <= ?`, [have, have, USERS]);
  await p.query(
    `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
     SELECT n, CONCAT('u', n), '', CONCAT('u', n), CONCAT('user', n, '@example.org'), NOW(), CONCAT('u', n) FROM seq`,
  );
  await p.query(
    `INSERT INTO wp_usermeta (user_id, meta_key, meta_value)
     SELECT n, k.k, IF(k.k = 'first_name', CONCAT('First', n), CONCAT('Last', n)) FROM seq CROSS JOIN (SELECT 'first_name' AS k UNION ALL SELECT 'last_name') k`,
  );
  await p.query(
    `INSERT INTO civicrm_contact (contact_type, first_name, last_name, display_name, sort_name, created_date)
     SELECT 'Individual', 'Known', CONCAT('Person', n), CONCAT('Known Person', n), CONCAT('Person', n, ', Known'), NOW() FROM seq WHERE n % 5 = 0`,
  );
  await p.query(
    `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary)
     SELECT c.id, 1, CONCAT('user', CAST(SUBSTRING(c.last_name, 7) AS UNSIGNED), '@example.org'), 1 FROM civicrm_contact c WHERE c.first_name = 'Known'`,
  );
  await p.query(`DROP TABLE seq`);
}

describe('a bulk sync while WordPress edits users ahead of it (real sidecar, public API only)', () => {
  let db: TestDatabase;
  let app: RunningSidecar;
  before(async function () {
    this.timeout(300_000);
    db = await createTestDatabase();
    await generateSite(db);
    app = await startSidecar(db);
  });
  after(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('when edits aimed just ahead of its progress arrive through hooks during a 100k-user sync, then every contact holds its user\'s current names and address, every user has one link, and no contact is left without one', async function () {
    this.timeout(600_000);
    const random = rng(20261201);
    const started = await app.client.post('/v1/sync', { dry_run: false });
    expect(started.status).to.equal(202);
    let edits = 0;
    let renamedAddresses = 0;
    for (;;) {
      const run = (await app.client.get(`/v1/sync/${started.body.id}`)).body;
      if (run.status !== 'running') {
        expect(run.status).to.equal('completed');
        break;
      }
      // A handful of users a little ahead of the run's progress: their pages may already be read.
      const ahead = Number(run.processed) + 200 + Math.floor(random() * 4000);
      const batch: Array<Promise<unknown>> = [];
      for (let k = 0; k < 8; k++) {
        const id = Math.min(USERS, ahead + Math.floor(random() * 2500));
        edits += 1;
        await db.pool.query(`UPDATE wp_usermeta SET meta_value = ? WHERE user_id = ? AND meta_key = 'first_name'`, [`Edit${edits}`, id]);
        if (random() < 0.25) {
          renamedAddresses += 1;
          await db.pool.query(`UPDATE wp_users SET user_email = ? WHERE ID = ?`, [`moved${edits}.user${id}@example.org`, id]);
        }
        batch.push(app.client.post('/v1/events', { event: 'profile_update', user_id: id }).then((r) => expect(r.status).to.equal(200)));
      }
      await Promise.all(batch);
    }

    const [links] = await rows<{ links: number; users: number; twice: number }>(
      db.pool,
      `SELECT (SELECT COUNT(*) FROM civicrm_uf_match) AS links, (SELECT COUNT(*) FROM wp_users) AS users,
              (SELECT COUNT(*) FROM (SELECT uf_id FROM civicrm_uf_match GROUP BY uf_id HAVING COUNT(*) > 1) t) AS twice`,
    );
    const stale = await rows(
      db.pool,
      `SELECT u.ID, f.meta_value AS wp_first, c.first_name, l.meta_value AS wp_last, c.last_name, u.user_email, m.uf_name, e.email
         FROM wp_users u
         JOIN wp_usermeta f ON f.user_id = u.ID AND f.meta_key = 'first_name'
         JOIN wp_usermeta l ON l.user_id = u.ID AND l.meta_key = 'last_name'
         JOIN civicrm_uf_match m ON m.uf_id = u.ID
         JOIN civicrm_contact c ON c.id = m.contact_id
         LEFT JOIN civicrm_email e ON e.contact_id = c.id AND e.is_primary = 1
        WHERE BINARY c.first_name <> BINARY f.meta_value OR BINARY c.last_name <> BINARY l.meta_value
           OR BINARY m.uf_name <> BINARY u.user_email OR e.email IS NULL OR BINARY e.email <> BINARY u.user_email
        LIMIT 20`,
    );
    // A contact the site had (its user moved to another address before the sync reached it) may stay unlinked; one the bridge made may not.
    const orphans = await rows(db.pool, `SELECT c.id FROM civicrm_contact c LEFT JOIN civicrm_uf_match m ON m.contact_id = c.id WHERE m.id IS NULL AND c.source = 'WordPress user' LIMIT 5`);

    expect(edits, 'edits sent during the run').to.be.greaterThan(100);
    expect(renamedAddresses).to.be.greaterThan(10);
    expect(links).to.deep.equal({ links: USERS, users: USERS, twice: 0 });
    expect(stale, 'contacts that do not hold their user\'s current values').to.deep.equal([]);
    expect(orphans).to.deep.equal([]);
  });
});
