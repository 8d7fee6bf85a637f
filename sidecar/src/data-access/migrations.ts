import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../lib/logger';
import { LEASE_TABLE_DDL, LeasesRepository } from './leases';
import type { Pool } from './pool';

const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS contact_bridge_migrations (
  name VARCHAR(255) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

const LEASE_NAME = 'migrate';
const LEASE_SECONDS = 120;

export interface Migration {
  name: string;
  statements: string[];
  checksum: string;
}

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

export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      return { name, statements: splitStatements(text), checksum: createHash('sha256').update(text).digest('hex') };
    });
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
 * (CREATE ... IF NOT EXISTS, INSERT IGNORE), so a lease lost mid-way does no harm.
 */
export async function migrate(pool: Pool, logger: Logger, dir?: string): Promise<string[]> {
  const migrations = loadMigrations(dir);
  await pool.query(MIGRATIONS_TABLE_DDL);
  await pool.query(LEASE_TABLE_DDL);
  const leases = new LeasesRepository();
  const owner = `migrate-${randomUUID()}`;
  const deadline = Date.now() + LEASE_SECONDS * 1000;
  while (!(await leases.acquire(pool, LEASE_NAME, owner, LEASE_SECONDS))) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for another process to finish migrating');
    await sleep(250);
  }
  const applied: string[] = [];
  try {
    const done = await appliedNames(pool);
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      logger.info({ migration: migration.name }, 'applying migration');
      for (const statement of migration.statements) await pool.query(statement);
      await pool.query(`INSERT IGNORE INTO contact_bridge_migrations (name, checksum) VALUES (?, ?)`, [
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.name);
    }
  } finally {
    await leases.release(pool, LEASE_NAME, owner);
  }
  return applied;
}

/** Names of the migrations in sql/ that the database has not recorded. */
export async function pendingMigrations(pool: Pool, dir?: string): Promise<string[]> {
  const migrations = loadMigrations(dir);
  const done = await appliedNames(pool);
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
