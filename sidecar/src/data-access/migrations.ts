import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../lib/logger';
import { CRM_TABLES_MIGRATION_CHECKSUM, CRM_TABLES_MIGRATION_NAME, migrateCrmTables } from './crm-tables-migration';
import { LEASE_TABLE_DDL, LeasesRepository } from './leases';
import type { Pool, PoolConnection } from './pool';

const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS contact_bridge_migrations (
  name VARCHAR(255) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

const LEASE_NAME = 'migrate';
const LEASE_SECONDS = 120;

/**
 * A numbered file of sql/, or a step written in TypeScript where the DDL depends on what the
 * database holds (MySQL and MariaDB have no portable conditional DDL outside procedures).
 */
export type Migration =
  | { name: string; checksum: string; statements: string[] }
  | { name: string; checksum: string; run: (conn: PoolConnection, logger: Logger) => Promise<void> };

const CODE_MIGRATIONS: Migration[] = [
  { name: CRM_TABLES_MIGRATION_NAME, checksum: CRM_TABLES_MIGRATION_CHECKSUM, run: migrateCrmTables },
];

/** The repository's sql/ folder, found from the compiled or the source location. */
export function defaultMigrationsDir(): string {
  const candidates = [
    path.resolve(__dirname, '../../../../sql'), // dist/sidecar/src/data-access -> repo root
    path.resolve(__dirname, '../../../sql'), // sidecar/src/data-access -> repo root
  ];
  for (const dir of candidates) {
    try {
      if (readdirSync(dir).some((f) => f.endsWith('.sql'))) return dir;
    } catch {
      // try the next one
    }
  }
  throw new Error(`sql/ migrations folder not found (looked in ${candidates.join(', ')})`);
}

/** Splits a migration file into statements: a statement ends with ";" at the end of a line. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n');
  return withoutComments
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The files of sql/ and the TypeScript steps, in the order of their numbers. */
export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const files: Migration[] = readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      return { name, statements: splitStatements(text), checksum: createHash('sha256').update(text).digest('hex') };
    });
  const all = [...files, ...CODE_MIGRATIONS].sort((a, b) => a.name.localeCompare(b.name));
  const numbers = all.map((m) => m.name.slice(0, 3));
  const repeated = numbers.find((n, i) => numbers.indexOf(n) !== i);
  if (repeated) throw new Error(`Two migrations are numbered ${repeated}`);
  return all;
}

export interface MigrateOptions {
  dir?: string;
  /** Stop after this migration (tests rebuild a database as an older release left it). */
  through?: string;
}

async function appliedNames(pool: Pool): Promise<Set<string>> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT name FROM contact_bridge_migrations`);
  return new Set(rows.map((r) => String(r.name)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Applies the pending migrations, in order, once each. Two sidecars starting together take
 * turns through a lease row; every migration is also written to be safe to run again
 * (CREATE ... IF NOT EXISTS, INSERT IGNORE, steps that look before they change), so a lease
 * lost mid-way does no harm.
 */
export async function migrate(pool: Pool, logger: Logger, options: MigrateOptions = {}): Promise<string[]> {
  const all = loadMigrations(options.dir);
  const last = options.through === undefined ? all.length : all.findIndex((m) => m.name === options.through) + 1;
  if (last === 0) throw new Error(`No migration named ${options.through}`);
  const migrations = all.slice(0, last);
  await pool.query(MIGRATIONS_TABLE_DDL);
  await pool.query(LEASE_TABLE_DDL);
  const leases = new LeasesRepository();
  const owner = `migrate-${randomUUID()}`;
  const deadline = Date.now() + LEASE_SECONDS * 1000;
  while (!(await leases.acquire(pool, LEASE_NAME, owner, LEASE_SECONDS))) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for another process to finish migrating');
    await sleep(250);
  }
  // Renewed while migrating: completing a large table the bridge created may outlast one lease.
  const renew = setInterval(() => {
    leases.acquire(pool, LEASE_NAME, owner, LEASE_SECONDS).catch(() => undefined);
  }, (LEASE_SECONDS * 1000) / 4);
  renew.unref();
  const applied: string[] = [];
  try {
    const done = await appliedNames(pool);
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      logger.info({ migration: migration.name }, 'applying migration');
      if ('statements' in migration) {
        for (const statement of migration.statements) await pool.query(statement);
      } else {
        const conn = await pool.getConnection();
        try {
          await migration.run(conn, logger);
        } finally {
          conn.release();
        }
      }
      await pool.query(`INSERT IGNORE INTO contact_bridge_migrations (name, checksum) VALUES (?, ?)`, [
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.name);
    }
  } finally {
    clearInterval(renew);
    await leases.release(pool, LEASE_NAME, owner);
  }
  return applied;
}

/** Names of the migrations in sql/ that the database has not recorded (all of them on a database the bridge never migrated). */
export async function pendingMigrations(pool: Pool, dir?: string): Promise<string[]> {
  const migrations = loadMigrations(dir);
  const done = await appliedNames(pool).catch((error: { code?: string }) => {
    if (error.code === 'ER_NO_SUCH_TABLE') return new Set<string>();
    throw error;
  });
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
