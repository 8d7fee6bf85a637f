/**
 * A fresh database per test suite on the harness's server: WordPress users tables (with the
 * collation a real site may have), then, unless told otherwise, the bridge's migrations.
 */
import { randomBytes } from 'node:crypto';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { migrate } from '../../sidecar/src/data-access/migrations';
import { createPool } from '../../sidecar/src/data-access/pool';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { testServer } from './server';
import { wordpressUsersDdl } from '../../tools/wordpress-schema';

export interface TestDatabase {
  name: string;
  /** mysql://…/name */
  url: string;
  pool: Pool;
  prefix: string;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  prefix?: string;
  wpCollation?: string;
  migrate?: boolean;
  /** Skip creating WordPress's tables (WordPress's own installer creates them). */
  withoutWordPress?: boolean;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = testServer();
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
  if (options.migrate !== false) await migrate(pool, silentLogger);
  return {
    name,
    url: url.toString(),
    pool,
    prefix,
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
export function twoTestDatabases(): { readonly tested: TestDatabase; readonly reference: TestDatabase } {
  let tested: TestDatabase | undefined;
  let reference: TestDatabase | undefined;
  before(async () => {
    [tested, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
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
