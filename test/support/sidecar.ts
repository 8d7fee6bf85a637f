/** Starts the real sidecar in this process (port 0) against a test database. */
import { loadConfig, type Config } from '../../sidecar/src/config';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { start, type Sidecar, type StartOptions } from '../../sidecar/src/start';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabaseOptions, type TestDatabase } from './database';
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
  /** Errors of unknown kind that ended a request (answered 500; the process went on). */
  unexpectedErrors: unknown[];
  stop(): Promise<void>;
}

export async function startSidecar(
  db: TestDatabase,
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningSidecar> {
  const unexpectedErrors: unknown[] = [];
  const sidecar = await start(testConfig(db, env), {
    logger: silentLogger,
    onUnexpected: (error) => unexpectedErrors.push(error),
    ...options,
  });
  const client = new SignedClient({ baseUrl: sidecar.url, secret: TEST_SECRET });
  return { sidecar, client, unexpectedErrors, stop: () => sidecar.stop() };
}

export interface SidecarSuite {
  readonly db: TestDatabase;
  readonly running: RunningSidecar;
}

/**
 * Registers the suite's mocha hooks: a fresh database and the real sidecar in this process
 * before the tests, both gone after them, and after every test a check that no error of
 * unknown kind ended a request. Further `before` hooks run after it.
 */
export function sidecarSuite(env: Record<string, string> = {}, database: TestDatabaseOptions = {}): SidecarSuite {
  const suite = {} as { db: TestDatabase; running: RunningSidecar };
  before(async () => {
    suite.db = await createTestDatabase(database);
    suite.running = await startSidecar(suite.db, env);
  });
  after(async () => {
    await suite.running?.stop();
    await suite.db?.drop();
  });
  afterEach(() => expect(suite.running.unexpectedErrors, 'no unexpected errors').to.deep.equal([]));
  return suite;
}
