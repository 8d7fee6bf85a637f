/**
 * The demo: a private MariaDB in .run/demo-mariadb (or MYSQL_URL), the sidecar, and a real
 * WordPress (Debian's package, served by `php -S`) with the contact-bridge plugin active.
 * A few users are registered through WordPress itself, so the plugin's hooks link them;
 * an existing CRM contact shows matching by email. Prints the admin login. Ctrl-C stops all.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { loadConfig } from '../sidecar/src/config';
import { createLogger } from '../sidecar/src/lib/logger';
import { start } from '../sidecar/src/start';
import { startPrivateMariaDb, type PrivateMariaDb } from './private-mariadb';
import { startLocalWordPress } from './wordpress-local';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, '.run');
const DATABASE = 'contact_bridge_demo';

function keptSecret(name: string, bytes: number): string {
  const file = path.join(RUN, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = randomBytes(bytes).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: PrivateMariaDb | undefined;

async function main(): Promise<void> {
  mkdirSync(RUN, { recursive: true });
  let serverUrl = process.env.MYSQL_URL;
  if (!serverUrl) {
    console.log('Starting a private MariaDB in .run/demo-mariadb …');
    db = await startPrivateMariaDb({ baseDir: path.join(RUN, 'demo-mariadb') });
    serverUrl = db.baseUrl;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${DATABASE}`;
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();

  const secret = keptSecret('demo-secret', 32);
  const config = loadConfig({
    ...process.env,
    MYSQL_URL: url.toString(),
    BRIDGE_SECRET: secret,
    PORT: process.env.PORT ?? '8787',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const sidecar = await start(config, { logger: createLogger(config.logLevel) });
  console.log(`Sidecar listening on ${sidecar.url}`);

  console.log('Installing WordPress (Debian package) with the contact-bridge plugin …');
  const wp = await startLocalWordPress({
    baseDir: path.join(RUN, 'demo-wordpress'),
    databaseUrl: url.toString(),
    port: Number(process.env.WP_PORT ?? 8080),
    bridgeUrl: sidecar.url,
    bridgeSecret: secret,
    adminPassword: keptSecret('demo-admin-password', 12),
    title: 'contact-bridge demo',
    options: { users_can_register: 1, default_role: 'subscriber' },
  });

  // A contact the CRM already knows: the WordPress user with this email is matched, not duplicated.
  const pool = mysql.createPool(url.toString());
  const [known] = await pool.query<mysql.RowDataPacket[]>(`SELECT contact_id FROM civicrm_email WHERE email = 'grace@example.org'`);
  if (known.length === 0) {
    const [c] = await pool.query<mysql.ResultSetHeader>(
      `INSERT INTO civicrm_contact (contact_type, first_name, last_name, display_name, sort_name, source, created_date)
       VALUES ('Individual', 'Grace', 'Hopper', 'Grace Hopper', 'Hopper, Grace', 'Demo CRM data', NOW())`,
    );
    await pool.query(`INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (?, 1, 'grace@example.org', 1)`, [c.insertId]);
  }
  // Users created through WordPress's own API: the plugin's user_register hook forwards them.
  await wp.runPhp(`
foreach ( array(
  array( 'ada', 'ada@example.org', 'Ada', 'Lovelace' ),
  array( 'grace', 'Grace@Example.org', '', '' ),
  array( 'alan', 'alan@example.org', 'Alan', 'Turing' ),
) as $u ) {
  if ( ! username_exists( $u[0] ) ) {
    wp_insert_user( array( 'user_login' => $u[0], 'user_email' => $u[1], 'first_name' => $u[2], 'last_name' => $u[3], 'user_pass' => wp_generate_password() ) );
  }
}`);
  await sleep(1500);
  const [links] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT u.user_login, m.uf_name, c.id AS contact_id, c.display_name, c.source
       FROM wp_users u LEFT JOIN civicrm_uf_match m ON m.uf_id = u.ID AND m.domain_id = 1
       LEFT JOIN civicrm_contact c ON c.id = m.contact_id ORDER BY u.ID`,
  );
  console.log('\nWordPress users and their CRM contacts (the admin is linked by the sync button or at login):');
  console.table(links);
  await pool.end();
  console.log(`
WordPress:   ${wp.url}/wp-admin/   user: ${wp.adminUser}   password: ${wp.adminPassword}
Sync page:   ${wp.url}/wp-admin/tools.php?page=contact-bridge-sync
Register:    ${wp.url}/wp-login.php?action=register
Sidecar:     ${sidecar.url}/readyz   ${sidecar.url}/metrics
Ctrl-C stops everything (data stays in .run/ for next time).`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await wp.stop();
    await sidecar.stop();
    await db?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await db?.stop().catch(() => undefined);
  process.exit(1);
});
