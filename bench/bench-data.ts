/**
 * Benchmark data, generated with set-based SQL (INSERT … SELECT from a numbers table), never
 * row by row. The mix, by user id n (c = n % 20, k = (n div 20) % 4):
 *   c 0–11  (60%) new: no contact has the address                       -> created
 *   c 12–14 (15%) a contact has it as primary email                     -> matched
 *   c 15–16 (10%) a contact has it as a non-primary email               -> matched
 *   c 17    (5%)  already linked, nothing changed                       -> unchanged
 *   c 18    (5%)  already linked, first name changed in WordPress       -> updated
 *   c 19    (5%)  odd cases: k 0 names but no email (created without email), k 1 the address
 *                 of the previous user (conflict), k 2 upper-case with spaces and a trashed
 *                 contact holding it (created), k 3 no email and no names (skipped)
 * Plus N/2 unrelated contacts ("noise") with addresses no user has.
 */
import mysql, { type Pool } from 'mysql2/promise';
import { migrate } from '../sidecar/src/data-access/migrations';
import { createPool } from '../sidecar/src/data-access/pool';
import { silentLogger } from '../sidecar/src/lib/logger';
import { wordpressUsersDdl } from '../tools/wordpress-schema';

/** A fresh database `name` on the server at `baseUrl` (mysql://…/): WordPress's users tables and the bridge's migrations. */
export async function createBenchDatabase(baseUrl: string, prefix: string, name: string): Promise<{ url: string; pool: Pool }> {
  const admin = await mysql.createConnection(baseUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const pool = createPool({ url: url.toString(), connectionLimit: 4 });
  for (const ddl of wordpressUsersDdl(prefix)) await pool.query(ddl);
  await migrate(pool, silentLogger);
  return { url: url.toString(), pool };
}

export const NEW_USER = `(u.ID % 20 < 12 OR (u.ID % 20 = 19 AND (u.ID DIV 20) % 4 IN (0, 2)))`;
export const MATCHED_USER = `(u.ID % 20 BETWEEN 12 AND 16)`;

async function fillNumbers(pool: Pool, n: number): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_seq (n INT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB`);
  await pool.query(`TRUNCATE TABLE bench_seq`);
  await pool.query(`INSERT INTO bench_seq VALUES (1)`);
  let have = 1;
  while (have < n) {
    await pool.query(`INSERT INTO bench_seq SELECT n + ? FROM bench_seq WHERE n + ? <= ?`, [have, have, n]);
    have = Math.min(n, have * 2);
  }
}

export async function generateBenchData(pool: Pool, prefix: string, n: number): Promise<void> {
  await fillNumbers(pool, n);
  const c = `(s.n % 20)`;
  const k = `((s.n DIV 20) % 4)`;
  await pool.query(`SET SESSION sql_mode = ''`);
  await pool.query(
    `INSERT INTO \`${prefix}users\` (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
     SELECT s.n, CONCAT('user', s.n), '', CONCAT('user', s.n),
            CASE WHEN ${c} = 19 AND ${k} IN (0, 3) THEN ''
                 WHEN ${c} = 19 AND ${k} = 1 THEN CONCAT('user', s.n - 1, '@example.org')
                 WHEN ${c} = 19 AND ${k} = 2 THEN CONCAT('  USER', s.n, '@Example.ORG ')
                 ELSE CONCAT('user', s.n, '@example.org') END,
            NOW(), CONCAT('User ', s.n)
       FROM bench_seq s`,
  );
  await pool.query(
    `INSERT INTO \`${prefix}usermeta\` (user_id, meta_key, meta_value)
     SELECT s.n, m.k,
            CASE m.k
              WHEN 'first_name' THEN CASE WHEN ${c} = 19 AND ${k} = 3 THEN '' WHEN ${c} = 18 THEN CONCAT('Renamed', s.n)
                                          WHEN s.n % 3 = 0 THEN '' ELSE CONCAT('First', s.n) END
              WHEN 'last_name' THEN CASE WHEN ${c} = 19 AND ${k} = 3 THEN '' ELSE CONCAT('Last', s.n) END
              WHEN 'nickname' THEN CONCAT('user', s.n)
              ELSE 'a:1:{s:10:"subscriber";b:1;}' END
       FROM bench_seq s
      CROSS JOIN (SELECT 'first_name' AS k UNION ALL SELECT 'last_name' UNION ALL SELECT 'nickname'
                  UNION ALL SELECT 'wp_capabilities') m`,
  );
  // Existing contacts: id = user id for the matching, linked and trashed ones; noise above n.
  await pool.query(
    `INSERT INTO civicrm_contact (id, contact_type, first_name, last_name, display_name, sort_name, hash, source, is_deleted, created_date)
     SELECT s.n, 'Individual', CONCAT('First', s.n), CONCAT('Last', s.n), CONCAT('First', s.n, ' Last', s.n),
            CONCAT('Last', s.n, ', First', s.n), MD5(s.n), 'bench', IF(${c} = 19, 1, 0), NOW()
       FROM bench_seq s WHERE ${c} BETWEEN 12 AND 18 OR (${c} = 19 AND ${k} = 2)`,
  );
  await pool.query(
    `INSERT INTO civicrm_contact (id, contact_type, first_name, last_name, display_name, sort_name, hash, source, created_date)
     SELECT ? + s.n, 'Individual', CONCAT('Other', s.n), 'Noise', CONCAT('Other', s.n, ' Noise'), CONCAT('Noise, Other', s.n),
            MD5(? + s.n), 'bench', NOW()
       FROM bench_seq s WHERE s.n <= ?`,
    [n, n, Math.floor(n / 2)],
  );
  await pool.query(
    `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary)
     SELECT s.n, 1, IF(${c} IN (15, 16), CONCAT('work', s.n, '@example.com'), CONCAT('user', s.n, '@example.org')), 1
       FROM bench_seq s WHERE ${c} BETWEEN 12 AND 18 OR (${c} = 19 AND ${k} = 2)
     UNION ALL
     SELECT s.n, 1, CONCAT('user', s.n, '@example.org'), 0 FROM bench_seq s WHERE ${c} IN (15, 16)
     UNION ALL
     SELECT ? + s.n, 1, CONCAT('other', s.n, '@example.net'), 1 FROM bench_seq s WHERE s.n <= ?`,
    [n, Math.floor(n / 2)],
  );
  await pool.query(
    `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id)
     SELECT 1, s.n, CONCAT('user', s.n, '@example.org'), s.n FROM bench_seq s WHERE ${c} IN (17, 18)`,
  );
  await pool.query(`DROP TABLE bench_seq`);
}

/**
 * The floor: the same final contacts, emails and links as the sync, by three plain
 * INSERT … SELECT statements that know the answer (no matching, no rules, no state, no audit).
 */
export async function runFloor(pool: Pool, prefix: string): Promise<void> {
  const users = `\`${prefix}users\``;
  const meta = `\`${prefix}usermeta\``;
  // With the default greetings and addressee a fresh CiviCRM gives an Individual (what the sync
  // writes too): "Dear {first_name}" (spaces stripped) and "{first_name}{ }{last_name}".
  await pool.query(
    `INSERT INTO civicrm_contact (contact_type, first_name, last_name, display_name, sort_name, hash, source, created_date,
                                  email_greeting_id, email_greeting_display, postal_greeting_id, postal_greeting_display,
                                  addressee_id, addressee_display)
     SELECT 'Individual', NULLIF(f.meta_value, ''), NULLIF(l.meta_value, ''),
            COALESCE(NULLIF(CONCAT_WS(' ', NULLIF(f.meta_value, ''), NULLIF(l.meta_value, '')), ''), LOWER(TRIM(u.user_email))),
            COALESCE(NULLIF(CONCAT_WS(', ', NULLIF(l.meta_value, ''), NULLIF(f.meta_value, '')), ''), LOWER(TRIM(u.user_email))),
            LPAD(u.ID, 32, '0'), 'WordPress user', NOW(),
            1, TRIM(CONCAT('Dear ', COALESCE(f.meta_value, ''))), 1, TRIM(CONCAT('Dear ', COALESCE(f.meta_value, ''))),
            1, CONCAT_WS(' ', NULLIF(f.meta_value, ''), NULLIF(l.meta_value, ''))
       FROM ${users} u
       LEFT JOIN ${meta} f ON f.user_id = u.ID AND f.meta_key = 'first_name'
       LEFT JOIN ${meta} l ON l.user_id = u.ID AND l.meta_key = 'last_name'
      WHERE ${NEW_USER}`,
  );
  await pool.query(
    `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary)
     SELECT c.id, 1, LOWER(TRIM(u.user_email)), 1
       FROM civicrm_contact c JOIN ${users} u ON u.ID = CAST(c.hash AS UNSIGNED)
      WHERE c.source = 'WordPress user' AND TRIM(u.user_email) <> ''`,
  );
  await pool.query(
    `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id)
     SELECT 1, u.ID, NULLIF(LOWER(TRIM(u.user_email)), ''), COALESCE(c.id, u.ID)
       FROM ${users} u
       LEFT JOIN civicrm_contact c ON c.hash = LPAD(u.ID, 32, '0') AND c.source = 'WordPress user'
      WHERE ${NEW_USER} OR ${MATCHED_USER}`,
  );
}
