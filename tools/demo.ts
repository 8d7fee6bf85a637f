/**
 * The demo: database (private MariaDB in .run/demo-mariadb unless MYSQL_URL is set), a
 * WordPress users schema with a few users, the sidecar, and the users reconciled through
 * the signed API, as the WordPress plugin would do it. Runs until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { loadConfig } from '../sidecar/src/config';
import { createLogger } from '../sidecar/src/lib/logger';
import { start } from '../sidecar/src/start';
import { wordpressUsersDdl } from '../test/support/wordpress-schema';
import { SignedClient } from '../test/support/signed-client';
import { startPrivateMariaDb, type PrivateMariaDb } from './private-mariadb';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, '.run');
const DATABASE = 'contact_bridge_demo';

function demoSecret(): string {
  const file = path.join(RUN, 'demo-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(24).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function main(): Promise<void> {
  mkdirSync(RUN, { recursive: true });
  let db: PrivateMariaDb | undefined;
  let serverUrl = process.env.MYSQL_URL;
  if (!serverUrl) {
    console.log('Starting a private MariaDB in .run/demo-mariadb ...');
    db = await startPrivateMariaDb({ baseDir: path.join(RUN, 'demo-mariadb') });
    serverUrl = db.baseUrl;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${DATABASE}`;
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.query(`USE \`${DATABASE}\``);
  await admin.query("SET SESSION sql_mode = ''");
  for (const ddl of wordpressUsersDdl('wp_')) await admin.query(ddl);
  const demoUsers = [
    ['ada', 'ada@example.org', 'Ada', 'Lovelace'],
    ['grace', 'Grace.Hopper@Example.org', 'Grace', 'Hopper'],
    ['nameless', 'someone@example.org', '', ''],
  ];
  for (const [login, email, first, last] of demoUsers) {
    const [found] = await admin.query<mysql.RowDataPacket[]>('SELECT ID FROM wp_users WHERE user_login = ?', [login]);
    if (found.length) continue;
    const [r] = await admin.query<mysql.ResultSetHeader>(
      `INSERT INTO wp_users (user_login, user_nicename, user_email, user_registered, display_name) VALUES (?, ?, ?, NOW(), ?)`,
      [login, login, email, login],
    );
    for (const [key, value] of [['first_name', first], ['last_name', last]]) {
      await admin.query('INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES (?, ?, ?)', [r.insertId, key, value]);
    }
  }
  await admin.end();

  const secret = demoSecret();
  const config = loadConfig({ ...process.env, MYSQL_URL: url.toString(), BRIDGE_SECRET: secret, PORT: process.env.PORT ?? '8787' });
  const sidecar = await start(config, { logger: createLogger('warn') });
  const client = new SignedClient({ baseUrl: sidecar.url, secret });

  console.log(`\nSidecar listening on ${sidecar.url}  (secret in .run/demo-secret)`);
  const pool = sidecar.pool;
  const [users] = await pool.query<mysql.RowDataPacket[]>('SELECT ID, user_email FROM wp_users ORDER BY ID');
  for (const u of users) {
    const reply = await client.post('/v1/events', { event: 'user_register', user_id: Number(u.ID) });
    console.log(`  user ${u.ID} <${u.user_email}>: ${JSON.stringify(reply.body)}`);
  }
  const [links] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT m.uf_id, m.uf_name, c.id AS contact_id, c.display_name FROM civicrm_uf_match m JOIN civicrm_contact c ON c.id = m.contact_id ORDER BY m.uf_id`,
  );
  console.log('\ncivicrm_uf_match now holds:');
  console.table(links);
  console.log(`Try: curl ${sidecar.url}/readyz   — Ctrl-C stops everything.`);

  const stop = async (): Promise<void> => {
    await sidecar.stop();
    await db?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
