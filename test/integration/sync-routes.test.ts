import { expect } from 'chai';
import type { EngineStore } from '../../sidecar/src/domain/ports';
import { testRepos } from '../support/engine';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { count, insertContact, insertLink, insertUser, linksOf, snapshot } from '../support/fixtures';
import { startSidecar, type RunningSidecar } from '../support/sidecar';

function deferred(): { promise: Promise<void>; release(): void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

async function waitForRun(app: RunningSidecar, id: number): Promise<any> {
  for (;;) {
    const reply = await app.client.get(`/v1/sync/${id}`);
    if (reply.body.status !== 'running') return reply.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sync routes (real sidecar, real database)', () => {
  let db: TestDatabase;
  let app: RunningSidecar;
  let gate: { promise: Promise<void>; release(): void } | null = null;

  before(async () => {
    db = await createTestDatabase();
    // The test can hold a run at its first chunk, to look at it while it is running.
    const repos = testRepos();
    const engine = Object.create(repos.engine) as EngineStore;
    engine.readPage = async (...args) => {
      if (gate) await gate.promise;
      return repos.engine.readPage(...args);
    };
    app = await startSidecar(db, { SYNC_CHUNK_SIZE: '3' }, { repos: { ...repos, engine } });
  });
  after(async () => {
    await app.stop();
    await db.drop();
  });

  const user = (spec: Parameters<typeof insertUser>[2]) => insertUser(db.pool, db.prefix, spec);

  it('when a dry run is started, then it reports what would change and writes nothing but its run record', async () => {
    const known = await insertContact(db.pool, { firstName: 'Known', emails: ['known@example.org'] });
    await user({ email: 'known@example.org', firstName: 'Kim' });
    await user({ email: 'new.one@example.org', firstName: 'New', lastName: 'One' });
    await user({ email: '' });
    const before = await snapshot(db.pool);

    const started = await app.client.post('/v1/sync', { dry_run: true });
    expect(started.status).to.equal(202);
    const run = await waitForRun(app, started.body.id);

    expect(run).to.include({ status: 'completed', dry_run: true, processed: 3, total: 3, error: null });
    expect(run.counts).to.deep.equal({ checked: 3, already_linked: 0, matched: 1, created: 1, updated: 0, unlinked: 0, skipped: 1, conflicts: 0, errors: 0 });
    expect(run.summary).to.equal('Checked 3 user records.\nFound one matching contact record.\nWould create one new contact record.');
    expect(run.changes.map((c: any) => c.action)).to.deep.equal(['matched', 'created', 'skipped']);
    expect(run.changes[0].contact_id).to.equal(known);
    expect(await snapshot(db.pool)).to.equal(before);
  });

  it('when a run is started, then it answers 202 at once, and the run completes with CiviCRM\'s summary and the rows written', async () => {
    const started = await app.client.post('/v1/sync', {});
    expect(started.status).to.equal(202);
    expect(started.body).to.have.keys(['id']);

    const run = await waitForRun(app, started.body.id);

    expect(run).to.include({ status: 'completed', dry_run: false, processed: 3, total: 3 });
    expect(run.summary).to.equal('Checked 3 user records.\nFound one matching contact record.\nCreated one new contact record.');
    expect(run.started_at).to.be.a('string');
    expect(run.finished_at).to.be.a('string');
    expect(await count(db.pool, 'civicrm_uf_match')).to.equal(2);
    const audit = await rows<{ n: number }>(db.pool, `SELECT COUNT(*) AS n FROM contact_bridge_audit WHERE sync_run_id = ? AND source = 'sync'`, [run.id]);
    expect(Number(audit[0].n)).to.equal(3); // matched, created, skipped
  });

  it('when a run is started twice while the first is running, then the second gets 409 with the running id and only one run exists', async () => {
    gate = deferred();
    const runsBefore = await count(db.pool, 'contact_bridge_sync_run');

    const [a, b] = await Promise.all([app.client.post('/v1/sync', { dry_run: false }), app.client.post('/v1/sync', { dry_run: false })]);

    const accepted = [a, b].filter((r) => r.status === 202);
    const refused = [a, b].filter((r) => r.status === 409);
    expect(accepted).to.have.length(1);
    expect(refused).to.have.length(1);
    expect(refused[0].body.id).to.equal(accepted[0].body.id);
    expect(refused[0].body.error.code).to.equal('CONFLICT');
    expect((await app.client.get(`/v1/sync/${accepted[0].body.id}`)).body.status).to.equal('running');
    gate.release();
    gate = null;
    expect((await waitForRun(app, accepted[0].body.id)).status).to.equal('completed');
    expect(await count(db.pool, 'contact_bridge_sync_run')).to.equal(runsBefore + 1);
  });

  it('when runs are listed, then they come newest first', async () => {
    const reply = await app.client.get('/v1/sync');
    expect(reply.status).to.equal(200);
    const ids = reply.body.runs.map((r: any) => r.id);
    expect(ids).to.have.length(3);
    expect(ids).to.deep.equal([...ids].sort((x: number, y: number) => y - x));
  });

  it('when a run id does not exist or is malformed, then 404 or 400', async () => {
    expect((await app.client.get('/v1/sync/99999')).status).to.equal(404);
    expect((await app.client.get('/v1/sync/abc')).status).to.equal(400);
  });

  it('when the body has an unknown property or a non-boolean dry_run, then 400 and no run is started', async () => {
    const runsBefore = await count(db.pool, 'contact_bridge_sync_run');
    expect((await app.client.post('/v1/sync', { dry_run: false, extra: 1 })).status).to.equal(400);
    expect((await app.client.post('/v1/sync', { dry_run: 'yes' })).status).to.equal(400);
    expect(await count(db.pool, 'contact_bridge_sync_run')).to.equal(runsBefore);
  });

  it('when users are skipped or in conflict, then /v1/conflicts lists them with reasons', async () => {
    const holder = await user({ email: 'taken@example.org' });
    const other = await insertContact(db.pool, { emails: ['someone@example.org'] });
    await insertLink(db.pool, holder, other, 'taken@example.org');
    const second = await user({ email: 'TAKEN@example.org' });
    const run = await waitForRun(app, (await app.client.post('/v1/sync', {})).body.id);
    expect(run.counts.conflicts).to.equal(1);

    const reply = await app.client.get('/v1/conflicts');

    const entry = reply.body.conflicts.find((c: any) => c.user_id === second);
    expect(entry).to.include({ action: 'conflict', contact_id: null, reason: `email taken@example.org is already linked to user ${holder}` });
    expect(entry.at).to.be.a('string');
    expect(reply.body.conflicts.some((c: any) => c.action === 'skipped')).to.equal(true);
    expect(await linksOf(db.pool, second)).to.deep.equal([]);
  });
});
