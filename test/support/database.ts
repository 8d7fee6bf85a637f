/**
 * A fresh database per test suite on the harness's server: WordPress users tables (with the
 * collation a real site may have), the CRM side (none, for the bridge to create, or a CiviCRM
 * install), then, unless told otherwise, the bridge's migrations.
 */
import { randomBytes } from 'node:crypto';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { migrate } from '../../sidecar/src/data-access/migrations';
import { createPool } from '../../sidecar/src/data-access/pool';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { CIVICRM_6_14, installCiviCrm, type CiviCrmVariant } from './civicrm-schema';
import { testServer } from './server';
import { wordpressUsersDdl } from '../../tools/wordpress-schema';

export interface TestDatabase {
  name: string;
  /** mysql://…/name */
  url: string;
  pool: Pool;
  prefix: string;
  crm: CrmFixture;
  drop(): Promise<void>;
}

/**
 * The CRM side a test database starts with:
 *  - bridge: no CRM tables; the bridge's migrations create them (a site without CiviCRM);
 *  - civicrm-6.14: CiviCRM's own tables, keys, triggers and base rows (fresh install since 5.69:
 *    (uf_id, domain_id) indexed, not unique);
 *  - civicrm-pre-5.69: the same with (uf_id, domain_id) unique, as on older upgraded sites;
 *  - civicrm-work-default: the site's default location type is Work, not Home;
 *  - civicrm-duplicate-links: a 6.14 site where one user (DUPLICATE_LINKED_USER) has two links.
 */
export type CrmFixture = 'bridge' | 'civicrm-6.14' | 'civicrm-pre-5.69' | 'civicrm-work-default' | 'civicrm-duplicate-links';

const CIVICRM_VARIANTS: Record<Exclude<CrmFixture, 'bridge'>, CiviCrmVariant> = {
  'civicrm-6.14': CIVICRM_6_14,
  'civicrm-pre-5.69': { ...CIVICRM_6_14, ufIdUnique: true },
  'civicrm-work-default': { ...CIVICRM_6_14, defaultLocationType: 'Work' },
  'civicrm-duplicate-links': { ...CIVICRM_6_14, duplicateUserLinks: true },
};

export const CRM_FIXTURES = ['bridge', ...Object.keys(CIVICRM_VARIANTS)] as CrmFixture[];

/** The fixture of a database created without `crm`: CRM_FIXTURE from the environment, else bridge. */
export function defaultCrmFixture(): CrmFixture {
  const given = process.env.CRM_FIXTURE;
  if (!given) return 'bridge';
  if (!(CRM_FIXTURES as string[]).includes(given)) throw new Error(`CRM_FIXTURE=${given}: expected one of ${CRM_FIXTURES.join(', ')}`);
  return given as CrmFixture;
}

/** Registers `suite` once per CRM fixture, each in a describe block named after it. */
export function forEachCrmFixture(
  suite: (crm: CrmFixture) => void,
  fixtures: readonly CrmFixture[] = ['bridge', 'civicrm-6.14'],
): void {
  for (const crm of fixtures) describe(`on the ${crm} CRM schema`, () => suite(crm));
}

export interface TestDatabaseOptions {
  prefix?: string;
  wpCollation?: string;
  migrate?: boolean;
  /** Skip creating WordPress's tables (WordPress's own installer creates them). */
  withoutWordPress?: boolean;
  /** The CRM side, built before the bridge's migrations run; default: defaultCrmFixture(). */
  crm?: CrmFixture;
  /** The server to create it on (mysql://…/, one host); default: the harness's server. */
  baseUrl?: string;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = { baseUrl: options.baseUrl ?? testServer().baseUrl };
  const name = `cbtest_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection(server.baseUrl);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.baseUrl);
  url.pathname = `/${name}`;
  const pool = createPool({ url: url.toString(), connectionLimit: 20 });
  const prefix = options.prefix ?? 'wp_';
  if (!options.withoutWordPress) {
    const conn = await pool.getConnection();
    try {
      await conn.query("SET SESSION sql_mode = ''"); // WordPress does the same for its zero dates
      for (const ddl of wordpressUsersDdl(prefix, options.wpCollation)) await conn.query(ddl);
    } finally {
      conn.release();
    }
  }
  const crm = options.crm ?? defaultCrmFixture();
  if (crm !== 'bridge') await installCiviCrm(pool, CIVICRM_VARIANTS[crm]);
  if (options.migrate !== false) await migrate(pool, silentLogger);
  return {
    name,
    url: url.toString(),
    pool,
    prefix,
    crm,
    async drop() {
      await pool.end();
      const c = await mysql.createConnection(server.baseUrl);
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}

export async function rows<T = RowDataPacket>(pool: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await pool.query<RowDataPacket[]>(sql, params);
  return result as unknown as T[];
}

/**
 * Two fresh databases for the suite (created before its tests, dropped after): one for the
 * path under test, one for the reference path (reconcileUser one by one) it is compared with.
 */
export function twoTestDatabases(options: TestDatabaseOptions = {}): { readonly tested: TestDatabase; readonly reference: TestDatabase } {
  let tested: TestDatabase | undefined;
  let reference: TestDatabase | undefined;
  before(async () => {
    [tested, reference] = await Promise.all([createTestDatabase(options), createTestDatabase(options)]);
  });
  after(async () => Promise.all([tested?.drop(), reference?.drop()]));
  const made = (db: TestDatabase | undefined): TestDatabase => {
    if (!db) throw new Error('twoTestDatabases: used outside the suite\'s tests');
    return db;
  };
  return {
    get tested() {
      return made(tested);
    },
    get reference() {
      return made(reference);
    },
  };
}
