/**
 * One real site per e2e suite: a fresh database on the harness's server, WordPress installed
 * into it by its own installer, the shim activated (URL and secret as wp-config.php
 * constants), and the real sidecar process migrating the same database and listening.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'mysql2/promise';
import { freePort } from '../../../tools/private-mariadb';
import { startLocalWordPress, type LocalWordPress } from '../../../tools/wordpress-local';
import { createTestDatabase, rows, type CrmFixture, type TestDatabase } from '../../support/database';
import { createSidecarProcess, type SidecarProcess } from './sidecar-process';

export interface BridgeSite {
  wp: LocalWordPress;
  sidecar: SidecarProcess;
  db: TestDatabase;
  pool: Pool;
  prefix: string;
  secret: string;
  workDir: string;
  close(): Promise<void>;
}

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
/** Screenshots and other files a person may want to look at (git-ignored). */
export const testOutputDir = path.join(repoRoot, 'test-output', 'e2e');

export interface BridgeSiteOptions {
  /** Put the sidecar URL and secret in wp-config.php (default); false leaves them to the settings page. */
  constants?: boolean;
  /** The CRM side the site's database starts with (see createTestDatabase). */
  crm?: CrmFixture;
  /** The URL written to wp-config.php instead of the sidecar's (a hung server, a proxy). */
  bridgeUrl?: string;
  /** A subdirectory network (multisite), the plugin network-activated. */
  multisite?: boolean;
  /** No plugin on the site: it is uploaded as a zip in wp-admin (implies constants: false). */
  pluginByUpload?: boolean;
}

export async function startBridgeSite(name: string, options: BridgeSiteOptions = {}): Promise<BridgeSite> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `contact-bridge-e2e-${name}-`));
  const db = await createTestDatabase({ withoutWordPress: true, migrate: false, crm: options.crm });
  const secret = randomBytes(32).toString('hex');
  const sidecarPort = await freePort();
  const sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
  let wp: LocalWordPress | undefined;
  let sidecar: SidecarProcess | undefined;
  try {
    wp = await startLocalWordPress({
      baseDir: path.join(workDir, 'wordpress'),
      databaseUrl: db.url,
      ...(options.constants === false || options.pluginByUpload ? {} : { bridgeUrl: options.bridgeUrl ?? sidecarUrl, bridgeSecret: secret }),
      options: { users_can_register: 1, default_role: 'subscriber' },
      multisite: options.multisite,
      pluginByUpload: options.pluginByUpload,
    });
    sidecar = createSidecarProcess({
      mysqlUrl: db.url,
      secret,
      port: sidecarPort,
      tablePrefix: wp.tablePrefix,
      logFile: path.join(workDir, 'sidecar.log'),
    });
    await sidecar.start();
  } catch (error) {
    await sidecar?.stop();
    await wp?.stop();
    await db.drop();
    throw error;
  }
  mkdirSync(testOutputDir, { recursive: true });
  const site: BridgeSite = {
    wp,
    sidecar,
    db,
    pool: db.pool,
    prefix: wp.tablePrefix,
    secret,
    workDir,
    async close() {
      await site.sidecar.stop();
      await site.wp.stop();
      await site.db.drop();
      if (!process.env.KEEP_E2E_FILES) rmSync(workDir, { recursive: true, force: true });
    },
  };
  return site;
}

/** A PHP single-quoted string literal. */
function php(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() returns a value other than undefined; fails after a generous bound. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, boundMs = 60_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${boundMs / 1000} s: ${what}`);
    await sleep(200);
  }
}

export async function userIdByLogin(site: BridgeSite, login: string): Promise<number | undefined> {
  const [row] = await rows<{ ID: number }>(site.pool, `SELECT ID FROM \`${site.prefix}users\` WHERE user_login = ?`, [login]);
  return row?.ID;
}

export interface LinkWithEmail {
  uf_id: number;
  uf_name: string | null;
  contact_id: number;
}

export async function linkOf(site: BridgeSite, userId: number): Promise<LinkWithEmail[]> {
  return rows<LinkWithEmail>(site.pool, 'SELECT uf_id, uf_name, contact_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY id', [userId]);
}

/** Creates a user with WordPress's own API (its hooks fire, as in any plugin or import). */
export async function createUserWithApi(
  site: BridgeSite,
  user: { login: string; email: string; password: string; role?: string; firstName?: string; lastName?: string },
): Promise<number> {
  const out = await site.wp.runPhp(
    `$id = wp_insert_user( array( 'user_login' => ${php(user.login)}, 'user_email' => ${php(user.email)},` +
      ` 'user_pass' => ${php(user.password)}, 'role' => ${php(user.role ?? 'subscriber')},` +
      ` 'first_name' => ${php(user.firstName ?? '')}, 'last_name' => ${php(user.lastName ?? '')} ) );\n` +
      `if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }\necho $id;\n`,
  );
  return Number(out.trim());
}

/**
 * PHP notices, warnings and errors, and database errors, that come from the plugin. (The
 * plugin's own "contact-bridge: …" lines are the reasons it logs on purpose: see pluginReasons.)
 */
export function pluginLogLines(site: BridgeSite): string[] {
  if (!existsSync(site.wp.debugLog)) return [];
  return readFileSync(site.wp.debugLog, 'utf8')
    .split('\n')
    .filter((line) => /PHP (Notice|Warning|Fatal error|Parse error|Deprecated)|WordPress database error/.test(line))
    .filter((line) => /contact-bridge|wp-plugin-shim|Contact_Bridge/.test(line));
}

/** The reasons the plugin logged on purpose (a dropped or kept event). */
export function pluginReasons(site: BridgeSite): string[] {
  if (!existsSync(site.wp.debugLog)) return [];
  return readFileSync(site.wp.debugLog, 'utf8')
    .split('\n')
    .filter((line) => / contact-bridge: /.test(line));
}
