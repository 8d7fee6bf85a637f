/** Starts the real sidecar in this process (port 0) against a test database. */
import { loadConfig, type Config } from '../../sidecar/src/config';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { start, type Sidecar, type StartOptions } from '../../sidecar/src/start';
import type { TestDatabase } from './database';
import { SignedClient } from '../../tools/signed-client';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return loadConfig({
    MYSQL_URL: db.url,
    BRIDGE_SECRET: TEST_SECRET,
    PORT: '0',
    WP_TABLE_PREFIX: db.prefix,
    SYNC_CRON: '',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export interface RunningSidecar {
  sidecar: Sidecar;
  client: SignedClient;
  fatalErrors: unknown[];
  stop(): Promise<void>;
}

export async function startSidecar(
  db: TestDatabase,
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningSidecar> {
  const fatalErrors: unknown[] = [];
  const sidecar = await start(testConfig(db, env), {
    logger: silentLogger,
    onFatal: (error) => fatalErrors.push(error),
    ...options,
  });
  const client = new SignedClient({ baseUrl: sidecar.url, secret: TEST_SECRET });
  return { sidecar, client, fatalErrors, stop: () => sidecar.stop() };
}
