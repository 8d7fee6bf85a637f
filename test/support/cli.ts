/** The built CLI, as the tests run it (`node -- cli/main.js …`, as its bin line does), and what they check of it. */
import path from 'node:path';
import type { Pool } from 'mysql2/promise';
import { rows, type TestDatabase } from './database';
import { TEST_SECRET } from './sidecar';

export const CLI = path.resolve(__dirname, '../../sidecar/src/entry-points/cli/main.js');

/** node's arguments for a CLI command. */
export function cliArgs(args: readonly string[]): string[] {
  return ['--', CLI, ...args];
}

/** The settings of a CLI run against a test database (no schedule, no log), over `base` (the test run's environment unless given). */
export function cliEnv(db: TestDatabase, extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, MYSQL_URL: db.url, BRIDGE_SECRET: TEST_SECRET, WP_TABLE_PREFIX: db.prefix, SYNC_CRON: '', LOG_LEVEL: 'silent', ...extra };
}

/** The bridge's own tables in the database (contact_bridge_*). */
export async function bridgeTables(pool: Pool): Promise<string[]> {
  return (
    await rows<{ t: string }>(pool, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'contact\\_bridge\\_%'")
  ).map((r) => r.t);
}
