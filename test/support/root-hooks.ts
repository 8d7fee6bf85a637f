/**
 * Mocha root hooks: one database server for the whole run. With MYSQL_URL (any database on
 * that server; the tests create and drop their own databases) it is used as it is; without
 * it a private MariaDB starts in a temporary folder and is stopped at the end.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPrivateMariaDb, type PrivateMariaDb } from '../../tools/private-mariadb';
import { setServer } from './server';

let instance: PrivateMariaDb | undefined;
let baseDir: string | undefined;

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    const given = process.env.MYSQL_URL;
    if (given) {
      const url = new URL(given);
      url.pathname = '/';
      setServer({ baseUrl: url.toString(), privateInstance: null });
      return;
    }
    // A folder of the project (.run/, git-ignored) unless its path is too long for a unix socket.
    const projectRun = path.resolve(__dirname, '../../../.run');
    const parent = projectRun.length < 60 ? projectRun : os.tmpdir();
    mkdirSync(parent, { recursive: true });
    baseDir = mkdtempSync(path.join(parent, 'test-mariadb-'));
    instance = await startPrivateMariaDb({ baseDir, fast: true });
    setServer({ baseUrl: instance.baseUrl, privateInstance: instance });
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await instance?.stop();
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  },
};
