import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { generateBenchData } from '../../bench/bench-data';
import { syncAllUsers } from '../../sidecar/src/domain/sync/sync-all-users';
import { cliArgs, cliEnv } from '../support/cli';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { syncDeps } from '../support/engine';
import { count } from '../support/fixtures';
import { canonicalState } from '../support/sync-scenarios';

const USERS = 3000;
const CHUNK = 25;

function cli(db: TestDatabase, args: string[]): ChildProcess {
  return spawn(process.execPath, cliArgs(args), {
    env: cliEnv(db, { SYNC_CHUNK_SIZE: String(CHUNK) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out })));
}

describe('bulk sync resumption after the process is killed (real CLI process, real database)', () => {
  let killedDb: TestDatabase;
  let wholeDb: TestDatabase;

  before(async () => {
    [killedDb, wholeDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await Promise.all([generateBenchData(killedDb.pool, 'wp_', USERS), generateBenchData(wholeDb.pool, 'wp_', USERS)]);
  });
  after(async () => Promise.all([killedDb.drop(), wholeDb.drop()]));

  it('when `contact-bridge sync` is killed after some chunks and run again, then it resumes the same run and ends exactly as an uninterrupted run, with no duplicates', async () => {
    const first = cli(killedDb, ['sync']);
    const firstExit = exited(first);
    let cursorAtKill = 0;
    for (;;) {
      const [run] = await rows<{ cursor_uf_id: number; status: string }>(killedDb.pool, `SELECT cursor_uf_id, status FROM contact_bridge_sync_run`);
      if (run && Number(run.cursor_uf_id) >= CHUNK * 4) {
        first.kill('SIGKILL');
        break;
      }
      if (run?.status === 'completed') throw new Error('the run finished before it could be killed; use more users');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await firstExit).signal).to.equal('SIGKILL');
    const [killed] = await rows<{ id: number; status: string; cursor_uf_id: number; checked: number }>(
      killedDb.pool,
      `SELECT id, status, cursor_uf_id, checked FROM contact_bridge_sync_run`,
    );
    cursorAtKill = Number(killed.cursor_uf_id);
    expect(killed.status).to.equal('running');
    expect(cursorAtKill).to.be.below(USERS);
    expect(Number(killed.checked)).to.equal(cursorAtKill); // counters committed with their chunks

    const second = await exited(cli(killedDb, ['sync']));
    expect(second.code, second.out).to.equal(0);
    expect(second.out).to.include(`Checked ${USERS} user records.`);

    const whole = await syncAllUsers(syncDeps(wholeDb, CHUNK), { dryRun: false, trigger: 'test' });
    const runs = await rows<any>(killedDb.pool, `SELECT * FROM contact_bridge_sync_run`);
    expect(runs).to.have.length(1);
    expect(runs[0].id).to.equal(killed.id);
    expect(runs[0].status).to.equal('completed');
    for (const counter of Object.keys(whole.counts)) expect(Number(runs[0][counter]), counter).to.equal((whole.counts as any)[counter]);
    const maxExisting = USERS + USERS / 2;
    expect(await canonicalState(killedDb.pool, maxExisting)).to.deep.equal(await canonicalState(wholeDb.pool, maxExisting));
    expect(await rows(killedDb.pool, `SELECT uf_id FROM civicrm_uf_match GROUP BY uf_id HAVING COUNT(*) > 1`)).to.deep.equal([]);
    expect(await count(killedDb.pool, 'civicrm_contact')).to.equal(await count(wholeDb.pool, 'civicrm_contact'));
  });

  it('when `contact-bridge status` runs, then it lists the completed run and its summary', async () => {
    const status = await exited(cli(killedDb, ['status']));
    expect(status.code).to.equal(0);
    expect(status.out).to.match(/#\d+ completed/);
    expect(status.out).to.include(`Checked ${USERS} user records.`);
  });
});
