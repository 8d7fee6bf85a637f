import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultMigrationsDir, loadMigrations } from '../../sidecar/src/data-access/migrations';

describe('migrations list', () => {
  it('when loaded, then the sql/ files and the TypeScript steps come in the order of their numbers', () => {
    const migrations = loadMigrations();

    expect(migrations.map((m) => m.name)).to.deep.equal([
      '001_crm_tables.sql',
      '002_bridge_tables.sql',
      '003_sync_runs.sql',
      '004_crm_tables_as_civicrm',
      '005_user_state_applied.sql',
      '006_repair_runs.sql',
    ]);
    expect(migrations.map((m) => 'run' in m)).to.deep.equal([false, false, false, true, false, false]);
  });

  it('when a file takes the number of a TypeScript step, then loading refuses', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-migrations-'));
    try {
      for (const f of readdirSync(defaultMigrationsDir())) copyFileSync(path.join(defaultMigrationsDir(), f), path.join(dir, f));
      writeFileSync(path.join(dir, '004_something_else.sql'), 'SELECT 1;\n');

      expect(() => loadMigrations(dir)).to.throw(/Two migrations are numbered 004/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
