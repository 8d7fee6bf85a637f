import { expect } from 'chai';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { deleteUser, insertUser, joinBlog, leaveBlog, snapshot } from '../support/fixtures';
import { startSidecar, type RunningSidecar } from '../support/sidecar';

describe('multisite: blog to CRM domain mapping', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Second site')`);
  });
  after(async () => db.drop());

  it('when CRM_DOMAIN_BY_BLOG maps blog 3 to domain 2, then its events link in domain 2 and other blogs in domain 1', async () => {
    const running = await startSidecar(db, { CRM_DOMAIN_BY_BLOG: '3:2' });
    try {
      const id = await insertUser(db.pool, db.prefix, { email: 'multi@example.org' });
      await joinBlog(db.pool, db.prefix, id, 3);

      const inMain = await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 1 });
      const inSecond = await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 3 });

      expect(inMain.body.action).to.equal('created');
      expect(inSecond.body).to.include({ action: 'matched', contact_id: inMain.body.contact_id });
      expect(await rows(db.pool, 'SELECT domain_id, contact_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [id])).to.deep.equal([
        { domain_id: 1, contact_id: inMain.body.contact_id },
        { domain_id: 2, contact_id: inMain.body.contact_id },
      ]);
    } finally {
      await running.stop();
    }
  });

  it('when CRM_DOMAIN_BY_BLOG names a domain that does not exist, then the sidecar does not start and says which', async () => {
    let message = '';
    try {
      const running = await startSidecar(db, { CRM_DOMAIN_BY_BLOG: '4:9' });
      await running.stop();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.match(/CRM_DOMAIN_BY_BLOG maps blog 4 to 9: no such civicrm_domain row/);
  });
});

describe('multisite: every signed route acts on the domain the request names', () => {
  let db: TestDatabase;
  let running: RunningSidecar;
  before(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Second site')`);
    running = await startSidecar(db, { CRM_DOMAIN_BY_BLOG: '3:2' });
  });
  after(async () => {
    await running.stop();
    await db.drop();
  });
  afterEach(() => expect(running.unexpectedErrors).to.deep.equal([]));

  it('when a request names a domain the sidecar does not serve, or a blog and a domain that disagree, then 400 and nothing is written', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.unknown@example.org' });
    const before = await snapshot(db.pool);

    const replies = [
      await running.client.post('/v1/events', { event: 'user_register', user_id: id, domain_id: 9 }),
      await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 3, domain_id: 1 }),
      await running.client.post('/v1/sync', { dry_run: false, domain_id: 9 }),
      await running.client.get('/v1/conflicts?domain_id=9'),
      await running.client.get(`/v1/links?user_ids=${id}&domain_id=3`),
      await running.client.get('/v1/ping?blog_id=x'),
      await running.client.get('/v1/sync?blog_id=3&blog_id=4'),
    ];

    expect(replies.map((r) => r.status)).to.deep.equal([400, 400, 400, 400, 400, 400, 400]);
    expect(await snapshot(db.pool)).to.equal(before);
    expect(await rows(db.pool, 'SELECT id FROM contact_bridge_sync_run')).to.deep.equal([]);
  });

  it('when a site mapped to domain 2 asks for its links, conflicts, runs and ping, then it sees domain 2 only', async () => {
    const shared = 'multi.shared@example.org';
    const holder = await insertUser(db.pool, db.prefix, { email: shared });
    const rival = await insertUser(db.pool, db.prefix, { email: shared });
    await joinBlog(db.pool, db.prefix, holder, 3);
    await running.client.post('/v1/events', { event: 'user_register', user_id: holder, blog_id: 1 });
    await running.client.post('/v1/events', { event: 'user_register', user_id: rival, blog_id: 1 });
    await running.client.post('/v1/events', { event: 'user_register', user_id: holder, blog_id: 3 });

    const ping = await running.client.get('/v1/ping?blog_id=3');
    const links = await running.client.get(`/v1/links?user_ids=${holder},${rival}&blog_id=3`);
    const conflictsOfSite3 = await running.client.get('/v1/conflicts?blog_id=3');
    const conflictsOfMain = await running.client.get('/v1/conflicts?blog_id=1');
    const link = await running.client.get(`/v1/users/${rival}/link?domain_id=2`);

    expect(ping.body).to.deep.include({ ok: true, domain_id: 2 });
    expect(links.body.links).to.deep.equal([{ user_id: holder, contact_id: links.body.links[0].contact_id, uf_name: shared, domain_id: 2 }]);
    expect(conflictsOfSite3.body.conflicts.map((c: { user_id: number }) => c.user_id)).to.not.include(rival);
    expect(conflictsOfMain.body.conflicts.map((c: { user_id: number }) => c.user_id)).to.include(rival);
    expect(link.status).to.equal(404);
    const [state] = await rows(db.pool, 'SELECT last_action FROM contact_bridge_user_state WHERE domain_id = 1 AND uf_id = ?', [rival]);
    expect(state).to.deep.equal({ last_action: 'conflict' });
  });

  it('when a site mapped to domain 2 starts a sync, then the run is domain 2\'s and links its members there only', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.sync2@example.org' });
    await joinBlog(db.pool, db.prefix, id, 3);
    const outsider = await insertUser(db.pool, db.prefix, { email: 'multi.outsider@example.org' });

    const started = await running.client.post('/v1/sync', { dry_run: false, blog_id: 3 });
    let run = (await running.client.get(`/v1/sync/${started.body.id}?blog_id=3`)).body;
    while (run.status === 'running') run = (await running.client.get(`/v1/sync/${started.body.id}?blog_id=3`)).body;
    const fromMain = await running.client.get(`/v1/sync/${started.body.id}`);

    expect(started.status).to.equal(202);
    expect(run.status).to.equal('completed');
    expect(fromMain.status, 'domain 1 does not see domain 2\'s run').to.equal(404);
    expect(await rows(db.pool, 'SELECT domain_id FROM contact_bridge_sync_run WHERE id = ?', [started.body.id])).to.deep.equal([{ domain_id: 2 }]);
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ?', [id])).to.deep.equal([{ domain_id: 2 }]);
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ?', [outsider]), 'a network user of no site of domain 2').to.deep.equal([]);
  });

  it('when a user linked in domains 1 and 2 is deleted from the network, then one deleted_user unlinks it in every domain', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.deleted@example.org' });
    await joinBlog(db.pool, db.prefix, id, 3);
    await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 1 });
    await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 3 });
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [id])).to.deep.equal([{ domain_id: 1 }, { domain_id: 2 }]);
    await deleteUser(db.pool, db.prefix, id);

    const reply = await running.client.post('/v1/events', { event: 'deleted_user', user_id: id, blog_id: 1 });

    expect(reply.status).to.equal(200);
    expect(reply.body).to.deep.include({ action: 'unlinked', domain_id: 1, other_domains: [{ domain_id: 2, action: 'unlinked' }] });
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ?', [id])).to.deep.equal([]);
  });

  it('when a user still in the network is removed from a site mapped to domain 2 (deleted_user), then domain 2 unlinks it and domain 1 keeps its link and contact', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.removed@example.org' });
    await joinBlog(db.pool, db.prefix, id, 3);
    await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 1 });
    const joined = await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 3 });
    await leaveBlog(db.pool, db.prefix, id, 3);

    const reply = await running.client.post('/v1/events', { event: 'deleted_user', user_id: id, blog_id: 3 });

    expect(reply.body).to.include({ action: 'unlinked', reason: 'user is no longer a member of any site of this CRM domain; contact kept' });
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [id])).to.deep.equal([{ domain_id: 1 }]);
    expect(await rows(db.pool, 'SELECT is_deleted FROM civicrm_contact WHERE id = ?', [joined.body.contact_id])).to.deep.equal([{ is_deleted: 0 }]);
  });

  it('when a user is still a member of the site (deleted_user from another site), then no domain loses its link', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.stays@example.org' });
    await joinBlog(db.pool, db.prefix, id, 3);
    await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 1 });
    await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 3 });

    const reply = await running.client.post('/v1/events', { event: 'deleted_user', user_id: id, blog_id: 3 });

    expect(reply.body.action).to.equal('unchanged');
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [id])).to.deep.equal([{ domain_id: 1 }, { domain_id: 2 }]);
  });

  it('when a network user who is a member of no site of domain 2 has an event there, then nothing is linked in domain 2; once added to the site, it is', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.joiner@example.org' });

    const before = await running.client.post('/v1/events', { event: 'profile_update', user_id: id, blog_id: 3 });
    await joinBlog(db.pool, db.prefix, id, 3);
    const after = await running.client.post('/v1/events', { event: 'profile_update', user_id: id, blog_id: 3 });

    expect(before.body).to.include({ action: 'unchanged', reason: 'user is not a member of any site of this CRM domain', domain_id: 2 });
    expect(after.body).to.include({ action: 'created', domain_id: 2 });
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ?', [id])).to.deep.equal([{ domain_id: 2 }]);
  });

  it("when domain 2's link health is checked, then network users of no site of domain 2 are no finding, and a linked one who left is one the repair unlinks", async () => {
    const outsider = await insertUser(db.pool, db.prefix, { email: 'multi.health.out@example.org' });
    const leaver = await insertUser(db.pool, db.prefix, { email: 'multi.health.left@example.org' });
    await joinBlog(db.pool, db.prefix, leaver, 3);
    await running.client.post('/v1/events', { event: 'user_register', user_id: leaver, blog_id: 3 });
    await leaveBlog(db.pool, db.prefix, leaver, 3);

    const report = await running.client.get('/v1/health?domain_id=2&limit=500');
    const ofUser = (id: number) => report.body.findings.filter((f: { user_id: number }) => f.user_id === id).map((f: { kind: string; explanation: string }) => [f.kind, f.explanation]);

    expect(ofUser(outsider)).to.deep.equal([]);
    expect(ofUser(leaver)).to.have.length(1);
    expect(ofUser(leaver)[0][0]).to.equal('link_user_gone');
    expect(ofUser(leaver)[0][1]).to.contain("a member of none of this domain's sites");
    const started = await running.client.post('/v1/repair', { domain_id: 2, kinds: ['link_user_gone'] });
    let run = (await running.client.get(`/v1/repair/${started.body.id}?domain_id=2`)).body;
    while (run.status === 'running') run = (await running.client.get(`/v1/repair/${started.body.id}?domain_id=2`)).body;
    expect(run.status, run.error).to.equal('completed');
    expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ?', [leaver])).to.deep.equal([]);
  });
});

describe('multisite: the scheduled pass', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Second site')`);
  });
  after(async () => db.drop());

  it('when SYNC_CRON fires, then every configured domain gets its own run and its users linked there', async () => {
    const id = await insertUser(db.pool, db.prefix, { email: 'multi.cron@example.org' });
    await joinBlog(db.pool, db.prefix, id, 3);
    const running = await startSidecar(db, { CRM_DOMAIN_BY_BLOG: '3:2', SYNC_CRON: '* * * * * *' });
    try {
      let domains: Array<{ domain_id: number }> = [];
      while (domains.length < 2) {
        await new Promise((r) => setTimeout(r, 200));
        domains = await rows(db.pool, "SELECT DISTINCT domain_id FROM contact_bridge_sync_run WHERE trigger_source = 'cron' AND status = 'completed' ORDER BY domain_id");
      }
      expect(domains).to.deep.equal([{ domain_id: 1 }, { domain_id: 2 }]);
      expect(await rows(db.pool, 'SELECT domain_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [id])).to.deep.equal([{ domain_id: 1 }, { domain_id: 2 }]);
    } finally {
      await running.stop();
    }
  });
});
