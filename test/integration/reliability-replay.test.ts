/**
 * Replay: a captured signed request sent again inside the 300 s window. Every route only
 * reconciles the current state, so a replay repeats a reconciliation that changes nothing in
 * the CRM (it adds its own audit row, as every delivery does). That is why no nonce store is needed.
 */
import { expect } from 'chai';
import { rows } from '../support/database';
import { insertContact, insertUser, linksOf, updateUser } from '../support/fixtures';
import { sidecarSuite } from '../support/sidecar';
import { canonicalCrmState, waitUntil } from './reliability-support';

interface Captured {
  method: string;
  path: string;
  body: string;
  headers: Record<string, string>;
}

describe('reliability: replayed requests', () => {
  const suite = sidecarSuite();

  function capture(path: string, body: unknown): Captured {
    const raw = JSON.stringify(body);
    return { method: 'POST', path, body: raw, headers: { 'Content-Type': 'application/json', ...suite.running.client.headersFor('POST', path, raw) } };
  }
  const send = (c: Captured) => suite.running.client.raw(c.method, c.path, c.body, c.headers);

  it('when every kind of captured event is replayed 5 times within the window, then the CRM is exactly as after the first call', async () => {
    const known = await insertContact(suite.db.pool, { firstName: 'Replay', emails: ['replay.known@example.org'] });
    const matched = await insertUser(suite.db.pool, suite.db.prefix, { email: 'replay.known@example.org', lastName: 'Matched' });
    const created = await insertUser(suite.db.pool, suite.db.prefix, { email: 'replay.new@example.org', firstName: 'New' });
    const requests = [
      capture('/v1/events', { event: 'user_register', user_id: matched }),
      capture('/v1/events', { event: 'profile_update', user_id: created }),
      capture('/v1/events', { event: 'wp_login', user_id: created }),
      capture('/v1/events', { event: 'deleted_user', user_id: 999_999 }),
    ];

    const first = [];
    for (const r of requests) first.push(await send(r));
    const afterFirst = await canonicalCrmState(suite.db.pool);
    const replies = [];
    for (let i = 0; i < 5; i++) for (const r of requests) replies.push(await send(r));

    expect(first.map((r) => r.body.action)).to.deep.equal(['matched', 'created', 'unchanged', 'unchanged']);
    expect(first[0].body.contact_id).to.equal(known);
    expect(replies.every((r) => r.status === 200 && r.body.action === 'unchanged')).to.equal(true);
    expect(await canonicalCrmState(suite.db.pool)).to.deep.equal(afterFirst);
  });

  it('when an old user_register is replayed after the user changed email, then it cannot bring the old address back', async () => {
    const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'replay.before@example.org' });
    const old = capture('/v1/events', { event: 'user_register', user_id: id });
    expect((await send(old)).body.action).to.equal('created');
    await updateUser(suite.db.pool, suite.db.prefix, id, { email: 'replay.after@example.org' });
    expect((await suite.running.client.post('/v1/events', { event: 'profile_update', user_id: id })).body.action).to.equal('updated');
    const state = await canonicalCrmState(suite.db.pool);

    const replay = await send(old);

    expect(replay.body.action).to.equal('unchanged');
    expect((await linksOf(suite.db.pool, id))[0].uf_name).to.equal('replay.after@example.org');
    expect(await canonicalCrmState(suite.db.pool)).to.deep.equal(state);
  });

  it('when a captured sync start is replayed, then the CRM is as after the first run (or the replay is refused while it runs)', async function () {
    if ((await suite.running.client.get('/v1/sync')).status !== 200) this.skip();
    for (let i = 0; i < 20; i++) await insertUser(suite.db.pool, suite.db.prefix, { email: `replay.sync.${i}@example.org`, firstName: `S${i}` });
    const start = capture('/v1/sync', { dry_run: false });
    const waitFor = async (id: number): Promise<void> =>
      waitUntil(`run ${id} ends`, async () => (await suite.running.client.get(`/v1/sync/${id}`)).body.status !== 'running');

    const first = await send(start);
    expect(first.status).to.equal(202);
    const whileRunning = await send(start);
    await waitFor(first.body.id);
    const afterFirst = await canonicalCrmState(suite.db.pool);
    const later = await send(start);
    if (later.status === 202) await waitFor(later.body.id);

    expect(whileRunning.status).to.be.oneOf([202, 409]);
    if (whileRunning.status === 202) await waitFor(whileRunning.body.id);
    expect(later.status).to.equal(202);
    expect(await canonicalCrmState(suite.db.pool)).to.deep.equal(afterFirst);
    const [{ n }] = await rows<{ n: number }>(suite.db.pool, "SELECT COUNT(*) AS n FROM contact_bridge_sync_run WHERE status <> 'completed'");
    expect(Number(n)).to.equal(0);
  });
});
