/**
 * An upgrade as a site runs it: a database migrated and used by the previous release (its own
 * sidecar, built from git), then the current sidecar started on it while the plugin's queue
 * keeps sending hook events.
 *
 * The previous release is commit e663b8d, the first one (there are no tags). Its sources come
 * from `git archive`, compiled with this checkout's TypeScript and node_modules (the test first
 * checks that its production dependencies are the very versions installed here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadMigrations } from '../../sidecar/src/data-access/migrations';
import { freePort } from '../../tools/private-mariadb';
import { SignedClient } from '../../tools/signed-client';
import { createTestDatabase, forEachCrmFixture, rows, type CrmFixture, type TestDatabase } from '../support/database';
import { insertUser } from '../support/fixtures';
import { TEST_SECRET } from '../support/sidecar';
import { MAIN, spawnCollecting, untilReady, type SpawnedProcess } from '../support/sidecar-process';

const ROOT = path.resolve(__dirname, '../../..');
const PREVIOUS_RELEASE = 'e663b8d';

function git(args: string[]): { status: number | null; stdout: string } {
  const run = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout.trim() };
}

/** The previous release's checkout, compiled: its dist/ beside its sql/. Fails (never skips) without the git history. */
function buildPreviousRelease(dir: string): void {
  if (git(['cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`]).status !== 0) {
    const shallow = git(['rev-parse', '--is-shallow-repository']).stdout === 'true';
    throw new Error(
      `The upgrade test builds the previous release from git, and commit ${PREVIOUS_RELEASE} is not in this clone` +
        `${shallow ? ' (it is a shallow clone)' : ''}: fetch the full history (git fetch --unshallow) or clone without --depth.`,
    );
  }
  const tar = path.join(dir, '..', 'previous.tar');
  execFileSync('git', ['archive', '--format=tar', '-o', tar, PREVIOUS_RELEASE], { cwd: ROOT });
  mkdirSync(dir);
  execFileSync('tar', ['-xf', tar, '-C', dir]);

  // Its production dependencies, as its lock file pins them, are the ones installed here.
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean }> };
  const differ = Object.entries(lock.packages)
    .filter(([at, p]) => at !== '' && p.dev !== true)
    .map(([at, p]) => {
      const installed = path.join(ROOT, at, 'package.json');
      const version = existsSync(installed) ? (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version : 'missing';
      return version === p.version ? null : `${at}: ${p.version} in ${PREVIOUS_RELEASE}, ${version} here`;
    })
    .filter((d) => d !== null);
  expect(differ, 'the previous release needs other dependencies than those installed').to.deep.equal([]);

  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'tsconfig.previous.json'), JSON.stringify({ extends: './tsconfig.json', include: ['sidecar/src/**/*.ts'] }));
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.previous.json')], { encoding: 'utf8' });
}

interface HookEvent {
  event: 'user_register' | 'profile_update' | 'wp_login';
  user_id: number;
}

/**
 * The plugin's queue, as its dispatcher treats answers: 2xx removes the event; no answer, 401
 * (a secret or scheme being changed), 429 and 5xx keep it and try again; any other 4xx drops it.
 * It signs as the plugin of its release does: sha256= before the upgrade, v2= after.
 */
class HookQueue {
  scheme: 'sha256' | 'v2' = 'sha256';
  readonly answers: number[] = [];
  readonly dropped: Array<{ event: HookEvent; status: number }> = [];
  private readonly pending: HookEvent[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly signSha256: (secret: string, timestamp: string, body: string) => string,
  ) {
    this.done = this.drain();
  }

  add(...events: HookEvent[]): void {
    this.pending.push(...events);
  }

  /** Resolves once `seen` is true of the answers so far (a gate on what the queue met). */
  async until(seen: (answers: number[]) => boolean): Promise<void> {
    while (!seen(this.answers)) await sleep(10);
  }

  async empty(): Promise<void> {
    while (this.pending.length > 0) await sleep(10);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private headers(body: string): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    if (this.scheme === 'v2') return new SignedClient({ baseUrl: this.url, secret: TEST_SECRET }).headersFor('POST', '/v1/events', body, Number(timestamp));
    return { 'X-Bridge-Timestamp': timestamp, 'X-Bridge-Signature': this.signSha256(TEST_SECRET, timestamp, body) };
  }

  private async drain(): Promise<void> {
    while (this.running) {
      const event = this.pending[0];
      if (!event) {
        await sleep(10);
        continue;
      }
      const body = JSON.stringify(event);
      const status = await fetch(`${this.url}/v1/events`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...this.headers(body) } }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      this.answers.push(status);
      if (status >= 200 && status < 300) this.pending.shift();
      else if (status >= 400 && status < 500 && status !== 401 && status !== 429) this.dropped.push({ event: this.pending.shift()!, status });
      else await sleep(25); // kept: tried again after a pause
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function logLines(process: SpawnedProcess): Array<Record<string, unknown>> {
  return process
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function stopped(process: SpawnedProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.child.kill('SIGTERM');
  return process.exited;
}

describe(`upgrade from the previous release (${PREVIOUS_RELEASE}, built from git) with hooks arriving`, function () {
  this.timeout(300_000);
  let work: string;
  let previous: string;

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'cb-upgrade-'));
    previous = path.join(work, 'previous');
    buildPreviousRelease(previous);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // Each CRM schema the previous release ran on (it failed to start on CiviCRM 5.69+'s, whose
  // civicrm_uf_match index on (uf_id, domain_id) is not unique: "Duplicate key name").
  forEachCrmFixture((crm: CrmFixture) => {
    let db: TestDatabase;
    const running: SpawnedProcess[] = [];
    before(async () => {
      db = await createTestDatabase({ migrate: false, crm });
    });
    after(async () => {
      for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await db?.drop();
    });

    it('when the current sidecar starts on a database the previous one migrated and used, then its migrations apply once, every event links its user once, the old rows stay and a second start applies nothing', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = { PATH: process.env.PATH ?? '', MYSQL_URL: db.url, BRIDGE_SECRET: TEST_SECRET, WP_TABLE_PREFIX: db.prefix, PORT: String(port), SYNC_CRON: '', LOG_LEVEL: 'info' };
      const sidecar = (main: string): SpawnedProcess => {
        const p = spawnCollecting(process.execPath, [main], env);
        running.push(p);
        return p;
      };
      const previousMain = path.join(previous, 'dist/sidecar/src/main.js');
      const previousCli = path.join(previous, 'dist/sidecar/src/entry-points/cli/main.js');
      const previousSignature = require(path.join(previous, 'dist/sidecar/src/entry-points/http/signature.js')) as { sign(secret: string, timestamp: string, body: string): string };
      const users = async (group: string, n: number) => {
        const ids: number[] = [];
        for (let i = 0; i < n; i += 1) ids.push(await insertUser(db.pool, db.prefix, { email: `upgrade.${group}${i}@example.org`, firstName: `${group}${i}` }));
        return ids;
      };
      const registered = (ids: number[]): HookEvent[] => ids.map((user_id) => ({ event: 'user_register', user_id }));

      // The previous release migrates the database and links users: by hook events, then by its bulk sync.
      const byEvents = await users('a', 5);
      const bySync = await users('b', 5);
      const old = sidecar(previousMain);
      await untilReady(old, url);
      const queue = new HookQueue(url, previousSignature.sign);
      try {
        queue.add(...registered(byEvents));
        await queue.empty();
        const synced = spawnSync(process.execPath, [previousCli, 'sync'], { env: { ...env, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
        expect(synced.status, synced.stdout + synced.stderr).to.equal(0);
        const oldMigrations = readdirSync(path.join(previous, 'sql')).filter((f) => f.endsWith('.sql')).sort();
        expect(oldMigrations).to.deep.equal(['001_crm_tables.sql', '002_bridge_tables.sql', '003_sync_runs.sql']);

        const kept = {
          links: await rows(db.pool, 'SELECT id, uf_id, contact_id, uf_name, domain_id FROM civicrm_uf_match ORDER BY id'),
          states: await rows(db.pool, 'SELECT domain_id, uf_id, last_action, contact_id, reason FROM contact_bridge_user_state ORDER BY uf_id'),
          runs: await rows(db.pool, 'SELECT id, domain_id, status, dry_run, trigger_source, total, processed, matched, created, finished_at FROM contact_bridge_sync_run ORDER BY id'),
          audit: await rows(db.pool, 'SELECT id, uf_id, action, contact_id, source, sync_run_id, created_at FROM contact_bridge_audit ORDER BY id'),
          migrations: await rows(db.pool, 'SELECT name, checksum, applied_at FROM contact_bridge_migrations ORDER BY name'),
        };
        expect(kept.links).to.have.length(10);
        expect(kept.runs).to.have.length(1);
        expect(kept.runs[0]).to.include({ status: 'completed', processed: 10, created: 5 });
        expect(kept.migrations.map((m) => m.name)).to.deep.equal(oldMigrations);

        // The upgrade, hooks arriving all along: new registrations, logins of users linked before.
        const registering = await users('c', 10);
        queue.add(...registered(registering.slice(0, 5)), ...byEvents.map((user_id): HookEvent => ({ event: 'wp_login', user_id })));
        expect(await stopped(old)).to.deep.equal({ code: 0, signal: null });
        queue.add(...registered(registering.slice(5)));
        await queue.until((answers) => answers.includes(0)); // events met no sidecar, and were kept
        const current = sidecar(MAIN);
        await untilReady(current, url);
        const sinceCurrent = queue.answers.length;
        await queue.until((answers) => answers.slice(sinceCurrent).includes(401)); // the plugin not upgraded yet: refused, kept
        queue.scheme = 'v2';
        await queue.empty();

        expect(queue.dropped).to.deep.equal([]);
        const applied = logLines(current).filter((l) => l.msg === 'migrations applied');
        const expected = loadMigrations().map((m) => m.name).filter((name) => !oldMigrations.includes(name));
        expect(expected).to.deep.equal(['004_crm_tables_as_civicrm', '005_user_state_applied.sql', '006_repair_runs.sql']);
        expect(applied.map((l) => l.applied)).to.deep.equal([expected]);
        const migrations = await rows(db.pool, 'SELECT name, checksum, applied_at FROM contact_bridge_migrations ORDER BY name');
        expect(migrations.map((m) => m.name)).to.deep.equal(loadMigrations().map((m) => m.name));
        expect(migrations.slice(0, oldMigrations.length)).to.deep.equal(kept.migrations);

        // Every user the hooks named has one link, to the one contact with its address.
        for (const id of [...byEvents, ...bySync, ...registering]) {
          const [user] = await rows<{ user_email: string }>(db.pool, `SELECT user_email FROM \`${db.prefix}users\` WHERE ID = ?`, [id]);
          const links = await rows<{ contact_id: number }>(db.pool, 'SELECT contact_id FROM civicrm_uf_match WHERE uf_id = ?', [id]);
          const contacts = await rows<{ id: number }>(db.pool, 'SELECT DISTINCT c.id FROM civicrm_contact c JOIN civicrm_email e ON e.contact_id = c.id WHERE e.email = ? AND c.is_deleted = 0', [user.user_email]);
          expect({ id, links: links.map((l) => l.contact_id) }).to.deep.equal({ id, links: contacts.map((c) => c.id) });
          expect(contacts).to.have.length(1);
        }
        // What the previous release wrote is kept: its links, the state of its users, its sync run, its audit.
        expect(await rows(db.pool, 'SELECT id, uf_id, contact_id, uf_name, domain_id FROM civicrm_uf_match WHERE id <= ? ORDER BY id', [kept.links.at(-1)!.id])).to.deep.equal(kept.links);
        const states = await rows(db.pool, 'SELECT domain_id, uf_id, last_action, contact_id, reason FROM contact_bridge_user_state WHERE uf_id IN (?) ORDER BY uf_id', [[...byEvents, ...bySync]]);
        expect(states.map((s) => [s.uf_id, s.contact_id])).to.deep.equal(kept.states.map((s) => [s.uf_id, s.contact_id]));
        expect(states.filter((s) => bySync.includes(s.uf_id))).to.deep.equal(kept.states.filter((s) => bySync.includes(s.uf_id)));
        expect(await rows(db.pool, 'SELECT id, domain_id, status, dry_run, trigger_source, total, processed, matched, created, finished_at FROM contact_bridge_sync_run ORDER BY id')).to.deep.equal(kept.runs);
        expect(await rows(db.pool, 'SELECT id, uf_id, action, contact_id, source, sync_run_id, created_at FROM contact_bridge_audit WHERE id <= ? ORDER BY id', [kept.audit.at(-1)!.id])).to.deep.equal(kept.audit);

        // A second start of the current release finds nothing to apply and serves.
        expect(await stopped(current)).to.deep.equal({ code: 0, signal: null });
        const again = sidecar(MAIN);
        await untilReady(again, url);
        const ping = await new SignedClient({ baseUrl: url, secret: TEST_SECRET }).get('/v1/ping');
        expect(await stopped(again)).to.deep.equal({ code: 0, signal: null });
        expect(ping.body).to.include({ signature: 'v2' });
        expect(logLines(again).filter((l) => l.msg === 'migrations applied' || l.msg === 'applying migration')).to.deep.equal([]);
        expect(logLines(again).map((l) => l.msg)).to.include('contact-bridge sidecar listening');
        expect(await rows(db.pool, 'SELECT name, checksum, applied_at FROM contact_bridge_migrations ORDER BY name')).to.deep.equal(migrations);
      } finally {
        await queue.stop();
      }
    });
  }, ['bridge', 'civicrm-pre-5.69']);
});
