import { expect } from 'chai';
import type { Pool } from 'mysql2/promise';
import { ERASED_ADDRESS, personalDataRequest } from '../../sidecar/src/domain/privacy/personal-data';
import { erasePersonalData } from '../../sidecar/src/domain/privacy/erase-personal-data';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import { rows } from '../support/database';
import { testRepos } from '../support/engine';
import { deleteUser, insertUser, updateUser } from '../support/fixtures';
import { sidecarSuite } from '../support/sidecar';

/** The CRM's rows: an erasure must leave every one as it was. */
async function crmRows(pool: Pool): Promise<string> {
  const parts: unknown[] = [];
  for (const table of ['civicrm_contact', 'civicrm_email', 'civicrm_uf_match']) parts.push(await rows(pool, `SELECT * FROM ${table} ORDER BY id`));
  return JSON.stringify(parts);
}

/** Every row of the bridge's own tables that a person's data may be in. */
async function bridgeRows(pool: Pool): Promise<string> {
  const parts: unknown[] = [];
  for (const table of ['contact_bridge_audit', 'contact_bridge_user_state', 'contact_bridge_sync_run', 'contact_bridge_repair_run']) {
    parts.push(await rows(pool, `SELECT * FROM ${table} ORDER BY 1, 2`));
  }
  return JSON.stringify(parts);
}

async function rowsOfUser(pool: Pool, ufId: number) {
  return {
    audit: await rows<{ id: number; action: string; reason: string | null }>(pool, 'SELECT id, action, reason FROM contact_bridge_audit WHERE uf_id = ? ORDER BY id', [ufId]),
    state: await rows<{ contact_id: number | null; last_action: string; reason: string | null; applied_email: string | null; applied_first_name: string | null }>(
      pool,
      'SELECT contact_id, last_action, reason, applied_email, applied_first_name FROM contact_bridge_user_state WHERE uf_id = ?',
      [ufId],
    ),
  };
}

async function waitForRun(suite: ReturnType<typeof sidecarSuite>, id: number): Promise<any> {
  for (;;) {
    const reply = await suite.running.client.get(`/v1/sync/${id}`);
    if (reply.body.status !== 'running') return reply.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('personal data routes (real sidecar, real database)', () => {
  const suite = sidecarSuite();
  let tag = 0;

  /**
   * A linked user (created, then renamed: two audit rows), a second user whose address is the
   * first one's (a conflict naming it, in its audit and state rows), a third whose longer address
   * contains the first one's and a fourth in conflict with the third, and a dry run listing both conflicts and the first user's rename.
   */
  async function people() {
    tag += 1;
    const pool = suite.db.pool;
    const prefix = suite.db.prefix;
    const email = `ann${tag}@example.org`;
    const send = (event: string, userId: number) => suite.running.client.post('/v1/events', { event, user_id: userId });
    const ann = await insertUser(pool, prefix, { email, firstName: 'Ann', lastName: 'Lee' });
    expect((await send('user_register', ann)).body.action).to.equal('created');
    await updateUser(pool, prefix, ann, { firstName: 'Anne' });
    expect((await send('profile_update', ann)).body.action).to.equal('updated');
    const twin = await insertUser(pool, prefix, { email: email.toUpperCase() });
    expect((await send('user_register', twin)).body.action).to.equal('conflict');
    const joann = await insertUser(pool, prefix, { email: `jo${email}`, firstName: 'Jo' });
    expect((await send('user_register', joann)).body.action).to.equal('created');
    const joTwin = await insertUser(pool, prefix, { email: `jo${email}` });
    expect((await send('user_register', joTwin)).body.action).to.equal('conflict');
    await updateUser(pool, prefix, ann, { lastName: 'Li' }); // not sent: the dry run lists it
    const started = await suite.running.client.post('/v1/sync', { dry_run: true });
    expect(started.status).to.equal(202);
    const run = await waitForRun(suite, started.body.id);
    expect(run.changes.some((c: any) => c.user_id === twin && c.reason.includes(email))).to.equal(true);
    expect(run.changes.some((c: any) => c.user_id === ann)).to.equal(true);
    const [link] = await rows<{ contact_id: number }>(pool, 'SELECT contact_id FROM civicrm_uf_match WHERE uf_id = ?', [ann]);
    return { email, ann, twin, joann, joTwin, contactId: link.contact_id, runId: Number(started.body.id) };
  }

  describe('GET /v1/personal-data', () => {
    it('when the export names a linked user and its address, then it lists the state row, the audit rows and the other records naming the address, and writes nothing', async () => {
      const p = await people();
      const before = await bridgeRows(suite.db.pool);

      const reply = await suite.running.client.get(`/v1/personal-data?user_id=${p.ann}&email=${encodeURIComponent(p.email)}`);

      expect(reply.status).to.equal(200);
      expect(reply.body).to.include({ page: 1, done: true, user_exists: true });
      expect(reply.body.state).to.have.length(1);
      expect(reply.body.state[0]).to.include({ domain_id: 1, contact_id: p.contactId, applied_email: p.email, applied_first_name: 'Anne', applied_last_name: 'Lee' }); // the rename was not sent
      expect(reply.body.audit.map((a: any) => a.action)).to.deep.equal(['created', 'updated']);
      expect(reply.body.audit.every((a: any) => a.contact_id === p.contactId)).to.equal(true);
      const sources = reply.body.mentions.map((m: any) => m.source).sort();
      // The twin's conflict (its audit and state rows) and the dry run's entry for it; the longer address is not a mention.
      expect(sources).to.deep.equal(['audit', 'state', 'sync_run']);
      expect(reply.body.mentions.find((m: any) => m.source === 'audit').text).to.include(p.email);
      expect(reply.body.mentions.find((m: any) => m.source === 'sync_run')).to.include({ run_id: p.runId });
      expect(JSON.stringify(reply.body.mentions)).not.to.include(`jo${p.email}`);
      expect(await bridgeRows(suite.db.pool)).to.equal(before);
    });

    it('when the export asks for page 2 of a user with fewer rows than a page, then it is empty and done', async () => {
      const p = await people();

      const reply = await suite.running.client.get(`/v1/personal-data?user_id=${p.ann}&page=2`);

      expect(reply.status).to.equal(200);
      expect(reply.body).to.deep.include({ page: 2, done: true, state: [], audit: [], mentions: [] });
    });
  });

  describe('POST /v1/personal-data/erase', () => {
    it('when a user who exists is erased, then its audit rows and run entries are gone, its state row is kept, other records lose the address, and the CRM and other users are untouched', async () => {
      const p = await people();
      const crmBefore = await crmRows(suite.db.pool);
      const joannBefore = await rowsOfUser(suite.db.pool, p.joann);
      const joTwinBefore = await rowsOfUser(suite.db.pool, p.joTwin);
      const twinAuditIds = (await rowsOfUser(suite.db.pool, p.twin)).audit.map((a) => a.id);
      const stateBefore = (await rowsOfUser(suite.db.pool, p.ann)).state;

      const reply = await suite.running.client.post('/v1/personal-data/erase', { user_id: p.ann, email: p.email });

      expect(reply.status).to.equal(200);
      expect(reply.body).to.deep.include({ done: true, user_exists: true, audit_deleted: 2, state_deleted: 0, state_retained: 1, mentions_left: 0 });
      expect(reply.body.mentions_erased).to.be.at.least(3); // the twin's audit and state reasons, the dry run
      const ann = await rowsOfUser(suite.db.pool, p.ann);
      expect(ann.audit).to.deep.equal([]);
      expect(ann.state).to.deep.equal(stateBefore); // the link's bookkeeping: contact, applied address and names
      const twin = await rowsOfUser(suite.db.pool, p.twin);
      expect(twin.audit.map((a) => a.id)).to.deep.equal(twinAuditIds); // the other user's rows stay; only the address goes
      expect(twin.audit[0].reason).to.equal(`email ${ERASED_ADDRESS} is already linked to user ${p.ann}`);
      expect(twin.state[0].reason).to.equal(`email ${ERASED_ADDRESS} is already linked to user ${p.ann}`);
      const [run] = await rows<{ changes: string }>(suite.db.pool, 'SELECT changes FROM contact_bridge_sync_run WHERE id = ?', [p.runId]);
      const changes = JSON.parse(run.changes);
      expect(changes.find((c: any) => c.user_id === p.twin).reason).to.equal(`email ${ERASED_ADDRESS} is already linked to user ${p.ann}`);
      expect(changes.some((c: any) => c.user_id === p.ann)).to.equal(false);
      expect(run.changes).to.include(`jo${p.email}`); // a longer address that contains it is another person's
      expect(await rowsOfUser(suite.db.pool, p.joann)).to.deep.equal(joannBefore);
      expect(await rowsOfUser(suite.db.pool, p.joTwin)).to.deep.equal(joTwinBefore);
      expect(joTwinBefore.audit[0].reason).to.equal(`email jo${p.email} is already linked to user ${p.joann}`);
      expect(await crmRows(suite.db.pool)).to.equal(crmBefore);

      const again = await suite.running.client.post('/v1/personal-data/erase', { user_id: p.ann, email: p.email });
      expect(again.body).to.deep.include({ done: true, audit_deleted: 0, mentions_erased: 0, mentions_left: 0 });
      const exported = await suite.running.client.get(`/v1/personal-data?user_id=${p.ann}&email=${encodeURIComponent(p.email)}`);
      expect(exported.body.audit).to.deep.equal([]);
      expect(exported.body.mentions).to.deep.equal([]);
    });

    it('when the erased user\'s own state row names the address, then the row is kept with the address taken out of its reason', async () => {
      const p = await people();
      const before = (await rowsOfUser(suite.db.pool, p.twin)).state;
      expect(before[0]).to.include({ last_action: 'conflict', reason: `email ${p.email} is already linked to user ${p.ann}` });

      const reply = await suite.running.client.post('/v1/personal-data/erase', { user_id: p.twin, email: p.email });

      expect(reply.body).to.deep.include({ done: true, user_exists: true, audit_deleted: 1, state_retained: 1 });
      const twin = await rowsOfUser(suite.db.pool, p.twin);
      expect(twin.audit).to.deep.equal([]);
      expect(twin.state).to.deep.equal([{ ...before[0], reason: `email ${ERASED_ADDRESS} is already linked to user ${p.ann}` }]);
    });

    it('when only an address with no WordPress user is erased, then the texts naming it are erased and no user\'s own rows are deleted', async () => {
      const p = await people();
      const annBefore = await rowsOfUser(suite.db.pool, p.ann);
      const crmBefore = await crmRows(suite.db.pool);
      const reply = await suite.running.client.post('/v1/personal-data/erase', { email: p.email.toUpperCase() });

      expect(reply.status).to.equal(200);
      expect(reply.body).to.deep.include({ done: true, user_exists: null, audit_deleted: 0, state_deleted: 0, state_retained: 0, mentions_left: 0 });
      expect((await rowsOfUser(suite.db.pool, p.twin)).audit[0].reason).to.equal(`email ${ERASED_ADDRESS} is already linked to user ${p.ann}`);
      expect(await rowsOfUser(suite.db.pool, p.ann)).to.deep.equal(annBefore);
      expect(await crmRows(suite.db.pool)).to.equal(crmBefore);
    });

    it('when the user no longer exists in WordPress, then its state rows are deleted too and the CRM keeps its rows', async () => {
      const p = await people();
      await deleteUser(suite.db.pool, suite.db.prefix, p.ann);
      const crmBefore = await crmRows(suite.db.pool);

      const reply = await suite.running.client.post('/v1/personal-data/erase', { user_id: p.ann });

      expect(reply.status).to.equal(200);
      expect(reply.body).to.deep.include({ done: true, user_exists: false, audit_deleted: 2, state_deleted: 1, state_retained: 0 });
      expect(await rowsOfUser(suite.db.pool, p.ann)).to.deep.equal({ audit: [], state: [] });
      expect(await crmRows(suite.db.pool)).to.equal(crmBefore);
    });

    it('when a user has more audit rows than one call deletes, then each call deletes a batch and says done only when none is left', async () => {
      const p = await people();
      const deps = { db: databaseOf(suite.db.pool), store: testRepos(suite.db.prefix).personalData };
      const request = personalDataRequest(p.ann, p.email);

      const first = await erasePersonalData(deps, request, 1);
      const second = await erasePersonalData(deps, request, 1);
      const third = await erasePersonalData(deps, request, 1);

      expect([first.done, first.auditDeleted, second.done, second.auditDeleted, third.done, third.auditDeleted]).to.deep.equal([false, 1, false, 1, true, 0]);
      expect((await rowsOfUser(suite.db.pool, p.ann)).audit).to.deep.equal([]);
      expect(third.stateRetained).to.equal(1);
    });
  });

  describe('refusals', () => {
    it('when a request is unsigned, then 401 and nothing is erased', async () => {
      const p = await people();
      const before = await bridgeRows(suite.db.pool);
      const body = JSON.stringify({ user_id: p.ann });

      const exported = await suite.running.client.raw('GET', `/v1/personal-data?user_id=${p.ann}`, undefined, {});
      const erased = await suite.running.client.raw('POST', '/v1/personal-data/erase', body, { 'Content-Type': 'application/json' });
      const replayed = await suite.running.client.raw('POST', '/v1/personal-data/erase', body, {
        'Content-Type': 'application/json',
        ...suite.running.client.headersFor('GET', `/v1/personal-data?user_id=${p.ann}`),
      });

      expect([exported.status, erased.status, replayed.status]).to.deep.equal([401, 401, 401]);
      expect(await bridgeRows(suite.db.pool)).to.equal(before);
    });

    it('when the address is LIKE wildcards, SQL or an unaccented twin of another, then it erases only itself and every other row stays', async () => {
      await people();
      const send = (userId: number) => suite.running.client.post('/v1/events', { event: 'user_register', user_id: userId });
      const jose = await insertUser(suite.db.pool, suite.db.prefix, { email: 'josé@example.org' });
      const twin = await insertUser(suite.db.pool, suite.db.prefix, { email: 'JOSÉ@example.org' });
      expect((await send(jose)).body.action).to.equal('created');
      expect((await send(twin)).body.action).to.equal('conflict');
      const before = await bridgeRows(suite.db.pool);

      for (const email of ['%@%', '_@_', "x');DELETE/**/FROM/**/contact_bridge_audit;--@example.org", 'jose@example.org', '.*@.*']) {
        const exported = await suite.running.client.get(`/v1/personal-data?email=${encodeURIComponent(email)}`);
        const erased = await suite.running.client.post('/v1/personal-data/erase', { email });
        expect([exported.status, exported.body.mentions, erased.status, erased.body.mentions_erased], email).to.deep.equal([200, [], 200, 0]);
      }
      expect(await bridgeRows(suite.db.pool)).to.equal(before);
      const accented = await suite.running.client.post('/v1/personal-data/erase', { email: 'JOSÉ@example.org' });
      expect(accented.body.mentions_erased).to.equal(2); // the twin's audit and state reasons
    });

    it('when a request names its person wrongly, then 400 with the reason and nothing is erased', async () => {
      const p = await people();
      const before = await bridgeRows(suite.db.pool);
      const queries = ['', 'user_id=0', 'user_id=abc', 'user_id=99999999999', 'user_id=1.5', 'email=no-at-sign', 'email=a%20b%40example.org', 'email=a@b&email=c@d', `user_id=${p.ann}&page=0`, `user_id=${p.ann}&limit=5`];
      const bodies = [{}, { user_id: 0 }, { user_id: '5' }, { user_id: -1 }, { email: 'x'.repeat(250) + '@example.org' }, { email: 42 }, { user_id: p.ann, domain_id: 1 }];

      for (const query of queries) {
        const reply = await suite.running.client.get(`/v1/personal-data?${query}`);
        expect(reply.status, query).to.equal(400);
        expect(reply.body.error.message, query).to.be.a('string');
      }
      for (const body of bodies) {
        const reply = await suite.running.client.post('/v1/personal-data/erase', body);
        expect(reply.status, JSON.stringify(body)).to.equal(400);
      }
      const duplicate = await suite.running.client.post('/v1/personal-data/erase', `{"user_id":${p.twin},"user_id":${p.ann}}`);
      expect(duplicate.status).to.equal(400);
      expect(await bridgeRows(suite.db.pool)).to.equal(before);
    });
  });
});
